package spatial

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"citygrid/data"

	"github.com/paulmach/orb"
)

// MaxBatch is the largest number of points a batch accepts.
const MaxBatch = 100000

// batchChunk is how many items a worker takes at a time: large enough to
// amortise the hand-out, small enough to balance uneven work.
const batchChunk = 1024

// parallel runs fn over [0, n) in chunks on GOMAXPROCS goroutines.
func parallel(n int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers > (n+batchChunk-1)/batchChunk {
		workers = (n + batchChunk - 1) / batchChunk
	}
	if workers <= 1 {
		fn(0, n)
		return
	}
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				lo := next
				next += batchChunk
				mu.Unlock()
				if lo >= n {
					return
				}
				fn(lo, min(n, lo+batchChunk))
			}
		}()
	}
	wg.Wait()
}

func checkBatchSize(n int) error {
	if n == 0 {
		return &data.ValidationError{Field: "points", Reason: "the batch is empty"}
	}
	if n > MaxBatch {
		return &data.ValidationError{Field: "points", Reason: fmt.Sprintf("%d points exceed the batch limit of %d", n, MaxBatch)}
	}
	return nil
}

// LocateBatch locates up to MaxBatch points, in parallel. The answers are
// in input order; a point outside the city has Covered false and names its
// nearest unit grid, as Locate does. An oversize or empty batch, or any
// invalid point, rejects the whole batch with a *data.ValidationError (its
// Where names the first bad point).
func (ix *Index) LocateBatch(points []orb.Point) ([]Location, error) {
	if err := checkBatchSize(len(points)); err != nil {
		return nil, err
	}
	for i, p := range points {
		if err := CheckPoint(p); err != nil {
			ve := *err.(*data.ValidationError)
			ve.Where = fmt.Sprintf("point %d", i)
			return nil, &ve
		}
	}
	out := make([]Location, len(points))
	k := ix.mgmtPerKind
	backing := make([]ManagementGridRef, len(points)*k)
	parallel(len(points), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i].ManagementGrids = backing[i*k : i*k : (i+1)*k]
			_ = ix.LocateInto(points[i], &out[i]) // outside is recorded in the Location
		}
	})
	return out, nil
}

// ResponsibleQuery is one case of a responsibility batch.
type ResponsibleQuery struct {
	Point    orb.Point `json:"point"`
	Category string    `json:"category"`
	// Kind is the category's kind, "component" or "event"; it may be left
	// out when the code names only one category.
	Kind      data.CategoryKind `json:"kind,omitempty"`
	Component string            `json:"component,omitempty"`
}

// BatchResponsibility is one answer of a responsibility batch: the
// Responsibility, or the reason there is none (a point outside the city).
type BatchResponsibility struct {
	Responsibility
	// Error says why this case has no answer; empty on success.
	Error string `json:"error,omitempty"`
}

// ResponsibleBatch runs Responsible for up to MaxBatch cases, in parallel,
// answers in input order. Invalid input anywhere (coordinates, unknown
// category or component) rejects the whole batch with a
// *data.ValidationError whose Where names the case; a case outside the city
// gets an Error and its Location.
func (ix *Index) ResponsibleBatch(qs []ResponsibleQuery) ([]BatchResponsibility, error) {
	if err := checkBatchSize(len(qs)); err != nil {
		return nil, err
	}
	out := make([]BatchResponsibility, len(qs))
	errs := make([]error, len(qs))
	k := ix.mgmtPerKind
	mgs := make([]ManagementGridRef, len(qs)*k)
	reasons := make([]Reason, len(qs)*maxReasons)
	parallel(len(qs), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			// Locked case by case (as LocateBatch's LocateInto is), not for
			// the whole batch: a long batch must not hold edits off.
			ix.live.rlock()
			r, err := ix.responsible(qs[i].Point, qs[i].Kind, qs[i].Category, qs[i].Component,
				mgs[i*k:i*k:(i+1)*k], reasons[i*maxReasons:i*maxReasons:(i+1)*maxReasons], nil)
			ix.live.runlock()
			out[i].Responsibility = r
			if err != nil {
				errs[i] = err
			}
		}
	})
	for i, err := range errs {
		if err == nil {
			continue
		}
		var ve *data.ValidationError
		if errors.As(err, &ve) {
			v := *ve
			v.Where = fmt.Sprintf("case %d", i)
			return nil, &v
		}
		if !errors.Is(err, data.ErrNotFound) {
			return nil, fmt.Errorf("case %d: %w", i, err)
		}
		out[i].Error = err.Error()
		if out[i].Reasons == nil {
			out[i].Reasons = []Reason{}
		}
	}
	return out, nil
}
