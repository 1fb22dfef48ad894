// Package hub is a small Hugging Face Hub client: it downloads files of
// dataset and model repositories into a local cache and lists their files,
// with the behaviour of the Python huggingface_hub client where it matters
// for reproducible evaluation.
//
// Mental model: a file is addressed by (kind, repo, revision, path) and
// lives at {endpoint}/{datasets/}{repo}/resolve/{revision}/{path} (models
// have no "datasets/" prefix). The cache is huggingface_hub's own, so a
// cache filled by the Python library serves mimo and the other way round:
//
//	{cache}/{models|datasets}--{owner}--{name}/blobs/{etag}
//	{cache}/{models|datasets}--{owner}--{name}/snapshots/{commit}/{path} -> ../../blobs/{etag}
//	{cache}/{models|datasets}--{owner}--{name}/refs/{branch}   (the commit it was last seen at)
//
// Download returns the snapshot path. A blob is only ever moved into place
// whole (written to "{etag}.incomplete", verified, renamed), so a blob
// present in the cache is complete. For a pinned revision (a 40-hex commit
// id) a cached file is returned without touching the network; for a branch
// or tag the client asks the Hub for the file's current commit and ETag and
// downloads only a blob it lacks. Listings (List, the Hub's tree API) are
// cached beside, in {repo folder}/.mimo-trees/, which huggingface_hub's
// cache scanner does not read.
//
// Several processes may share one cache, Python's included: a file lock per
// blob ({cache}/.locks/{repo folder}/{etag}.lock, flock as Python's
// filelock) makes the second one wait and then find the finished file.
//
// Downloads resume: an interrupted transfer leaves the ".incomplete" file,
// and the next attempt (the retry loop, or the next run) asks only for the
// missing bytes with an HTTP Range request. Transient failures (429, 5xx,
// connection errors, a stalled transfer) are retried with exponential
// backoff and jitter, honouring Retry-After; a host name that does not
// resolve is not (ErrUnreachable, at once, saying to check the network or
// to set HF_HUB_OFFLINE=1).
//
// What a server says is checked before it becomes a path or a file: the
// commit (X-Repo-Commit) must be 40 hex digits and the ETag a plain token,
// listed paths must be clean relative paths; a body is read to at most its
// announced size plus one byte (more is an error), or to the download
// ceiling when no size is announced (DefaultMaxBytes, 50 GB, the Hub's own
// limit on one file; MIMO_HUB_MAX_BYTES); and every blob is checked against
// the announced size and, where the ETag is one, its SHA-256 (LFS files) or
// git blob id (small files) before it enters the cache. Credentials follow a
// redirect only when scheme, host and port are unchanged (internal/redirect).
//
// Configuration follows huggingface_hub's environment variables, and
// options override them:
//
//	HF_ENDPOINT      endpoint, default https://huggingface.co
//	HF_TOKEN         bearer token for private or gated repositories; else
//	                 the file HF_TOKEN_PATH (default $HF_HOME/token, what
//	                 `hf auth login` writes)
//	HF_HUB_CACHE     cache folder, default $HF_HOME/hub
//	HF_HOME          default ~/.cache/huggingface ($XDG_CACHE_HOME respected)
//	HF_HUB_OFFLINE=1 never touch the network; missing files are an error naming them
//	MIMO_HUB_MAX_BYTES  the download ceiling (mimo's own)
//
// Typical use, reading a dataset through the tasks.Source seam (the
// adapter lives with the task builders, which are its users):
//
//	c, err := hub.New()                    // environment defaults
//	src := builders.HubSource{Client: c}    // a tasks.Source (tasks/builders)
//	rc, err := src.Open(ctx, "facebook/belebele", "75b399394a9803252cfec289d103de462763db7c", "data/eng_Latn.jsonl")
//
// Errors wrap sentinels for callers that branch on them: ErrNotFound
// (404: repository, revision or file), ErrUnauthorized (401/403: set
// HF_TOKEN), ErrOffline (offline mode and not cached), ErrIntegrity (size or
// SHA-256 mismatch). Messages always name the repository, revision and file.
//
// Package hubtest serves a folder in the Hub's URL layout, with fault
// injection, so tests run this client for real without the network.
package hub
