// Package corpora builds the paper's training corpora from the Hugging Face
// Hub (Appendix B of the MIMO paper), behind `mimo-train data`:
//
//   - stage 1 (BuildOPUS): OPUS-100's English-X pairs (Helsinki-NLP/opus-100,
//     the OPUS sample of Zhang et al. 2020 the paper cites) for the 13
//     non-English languages of the paper, filtered as the paper says (10-512
//     characters on both sides, longer/shorter below 3, English-side
//     de-duplication across languages, at most 500,000 pairs per language;
//     data.PaperFilter's rules, applied language by language), plus the
//     English "language" of Table 5 as identity pairs (see English below);
//   - stage 2 (BuildMMARCO): mMARCO's parallel (query, positive) rows
//     (unicamp-dl/mmarco, Google-translated v2, 14 languages): the unique
//     (query, positive) id pairs of MS MARCO's small training triples,
//     joined with the query and passage texts of every language. The
//     composition of each method (the 182-pair round robin, ...) happens at
//     training time (data.Compose); the build records its counts for the
//     rows it wrote and checks them against the closed-form arithmetic.
//
// Every revision is a 40-hex commit unless the caller allows a branch, and
// then the commit the Hub resolved it to (X-Repo-Commit, as the hub client
// records it) is what the manifest names. Each language is written to its
// own part file (internal/atomicfile) and recorded, with the SHA-256 of
// what was written, in OUT/progress.json; a killed build resumes at the
// first language not recorded there, and the final file is assembled once,
// atomically, from the parts, followed by OUT/manifest.json. A folder with
// a manifest is not rebuilt (written once); a manifest from other options
// is refused.
package corpora
