package student_test

import "github.com/mimo-mlir/mimo/tokenize"

func loadTok(path string) (*tokenize.Tokenizer, error) { return tokenize.Load(path) }
