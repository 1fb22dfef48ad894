// Package hub is a small Hugging Face Hub client: it downloads files of
// dataset and model repositories into a local cache and lists their files,
// with the behaviour of the Python huggingface_hub client where it matters
// for reproducible evaluation.
//
// Mental model: a file is addressed by (kind, repo, revision, path) and
// lives at {endpoint}/{datasets/}{repo}/resolve/{revision}/{path} (models
// have no "datasets/" prefix). Download puts it in the cache at
//
//	{cache}/{datasets|models}/{owner}--{name}/files/{revision}/{path}
//
// and returns that local path. A file is only ever moved into place whole
// (written to "{path}.incomplete", verified, renamed), so a file present in
// the cache is complete. For a pinned revision (a 40-hex commit id) a cached
// file is returned without touching the network; for a branch or tag the
// client asks the Hub for the file's current ETag and re-downloads only when
// it changed. Listings (List, the Hub's tree API) are cached the same way.
//
// Several processes may share one cache: a file lock per cache entry
// makes the second one wait and then find the finished file.
//
// Downloads resume: an interrupted transfer leaves the ".incomplete" file,
// and the next attempt (the retry loop, or the next run) asks only for the
// missing bytes with an HTTP Range request. Transient failures (429, 5xx,
// connection errors, a stalled transfer) are retried with exponential
// backoff and jitter, honouring Retry-After. Every file is checked against
// the size the Hub announces and, for LFS files (the Hub's X-Linked-Etag is
// the SHA-256 of the content), against its SHA-256.
//
// Configuration follows huggingface_hub's environment variables, and
// options override them:
//
//	HF_ENDPOINT      endpoint, default https://huggingface.co
//	HF_TOKEN         bearer token for private or gated repositories
//	HF_HOME          cache root: $HF_HOME/mimo-hub (default ~/.cache/huggingface/mimo-hub)
//	HF_HUB_OFFLINE=1 never touch the network; missing files are an error naming them
//
// Typical use, reading a dataset through the tasks.Source seam:
//
//	c, err := hub.New()                    // environment defaults
//	src := hub.DatasetSource{Client: c}     // a tasks.Source
//	rc, err := src.Open(ctx, "facebook/belebele", "75b399394a9803252cfec289d103de462763db7c", "data/eng_Latn.jsonl")
//
// Errors wrap sentinels for callers that branch on them: tasks.ErrNotFound
// (404: repository, revision or file), ErrUnauthorized (401/403: set
// HF_TOKEN), ErrOffline (offline mode and not cached), ErrIntegrity (size or
// SHA-256 mismatch). Messages always name the repository, revision and file.
//
// Package hubtest serves a folder in the Hub's URL layout, with fault
// injection, so tests run this client for real without the network.
package hub
