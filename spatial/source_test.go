package spatial_test

import (
	"citygrid/spatial"
	"citygrid/tiles"
)

// The tiles package reads the city through tiles.Source, declared there so
// that it need not import spatial; this keeps the two in step.
var _ tiles.Source = (*spatial.Index)(nil)
