// Package formats reads the file formats the benchmark datasets ship in:
// JSON lines (optionally gzip-compressed), Parquet (the Hugging Face Hub's
// native layout), CSV with a header row, and SQuAD-v1.1 JSON.
//
// Every reader streams: it calls a function once per record instead of
// building the whole file in memory (except SQuAD, which is one JSON
// document). Every error names the file it came from and, where there is
// one, the line, row and column, in the form "file:12: ..." or
// "file: row 7: column \"text\": ...", so a bad input is found without a
// debugger. Errors returned by the callback are wrapped the same way and
// stay reachable with errors.Is / errors.As.
//
// The name argument is only used in messages; pass what the user would
// recognise ("facebook/belebele@75b3...: data/eng_Latn.jsonl").
//
// Parquet rows arrive as map[string]any with normalised Go values (string,
// int64, float64, bool, nil, []any, map[string]any); the String, Int,
// Float and Bool helpers turn a column into a typed value or an error that
// names the file, row and column (wrapping ErrSchema).
package formats
