package native

import (
	"path/filepath"

	"github.com/mimo-mlir/mimo/internal/tinymodel"
	"github.com/mimo-mlir/mimo/transformer"
)

// The tiny models of the transformer package's tests and their goldens.
var (
	tinyDir    = tinymodel.XLMRDir
	readGolden = tinymodel.ReadGolden
	maxAbsDiff = tinymodel.MaxAbsDiff
	modernDirs = []string{filepath.Join("..", "..", "transformer", "testdata", "tiny-modernbert")}
)

const (
	goldenTol   = tinymodel.GoldenTol
	PoolingMean = transformer.PoolingMean
	PoolingCLS  = transformer.PoolingCLS
)
