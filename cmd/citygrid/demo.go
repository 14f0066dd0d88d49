package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"citygrid/api"
	"citygrid/data"
	"citygrid/data/cases"
	"citygrid/data/cases/sqlitecases"
	"citygrid/data/demo"
	"citygrid/data/gpkg"
	"citygrid/spatial"

	"github.com/paulmach/orb"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Store metadata keys recording which demo city a store holds, so that a
// second 'citygrid demo' run can tell whether it may reuse it.
const (
	metaDemoSeed  = "demo.seed"
	metaDemoScale = "demo.scale"
	// metaDemoCases records that the demo's case history is in the case
	// store (its number of cases), so that it is written once.
	metaDemoCases = "demo.cases"
)

// demoOptions are the flags of 'citygrid demo' beyond the server settings.
type demoOptions struct {
	// index are the spatial options the server resolves responsibility
	// with; the history's handling units are found the same way.
	index    spatial.Options
	seed     int64
	scale    float64
	regen    bool
	seedSet  bool
	scaleSet bool
	// addr is where the server will listen, for the printed sign-in URL.
	addr string
}

func runDemo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: citygrid demo --dir DIR --addr HOST:PORT [--seed N] [--scale S] [flags]

Generates the demo city (雨花台区, Nanjing: real district, street and community
codes, synthetic geometry) into DIR/citygrid.gpkg unless it is already there,
then serves it like 'citygrid serve'. The same seed and scale always give the
same city. A second run reuses the stored city; asking for a different seed or
scale than the stored one is refused unless --regen is given.

flags:
`)
		fs.PrintDefaults()
	}
	var opt demoOptions
	fs.Int64Var(&opt.seed, "seed", 1, "random seed of the generated city")
	fs.Float64Var(&opt.scale, "scale", 1, "size of the city: 1 = full demo (400k+ components), 0.02 for tests")
	fs.BoolVar(&opt.regen, "regen", false, "delete a stored city of another seed or scale and generate anew")
	configPath, _ := configFlags(fs)
	if err := fs.Parse(args); err != nil {
		return helpIsNotAnError(err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) {
		opt.seedSet = opt.seedSet || f.Name == "seed"
		opt.scaleSet = opt.scaleSet || f.Name == "scale"
	})
	if !(opt.scale > 0) || opt.scale > 10 || math.IsInf(opt.scale, 0) {
		return fmt.Errorf("--scale %g: must be greater than 0 and at most 10", opt.scale)
	}
	cfg, err := loadConfig(fs, *configPath, os.Getenv)
	if err != nil {
		return err
	}
	if isPostgresURL(cfg.Store) {
		return fmt.Errorf("demo generates into %s/%s: copy it into PostgreSQL with 'citygrid migrate-store --from %s --to URL' and run 'citygrid serve --store URL'", cfg.Dir, storeFile, cfg.Dir)
	}
	opt.addr = cfg.Addr
	opt.index = spatial.Options{FallbackUnit: cfg.FallbackUnit, ComponentToleranceM: cfg.ComponentToleranceM}
	log, closeLog := newLogger(os.Stderr, &cfg)
	defer closeLog()
	return serveCity(ctx, &cfg, log, func(ctx context.Context, gate *api.Gate) error {
		return ensureDemo(ctx, cfg.Dir, opt, log, gate)
	})
}

// ensureDemo makes sure dir holds the demo city asked for: it reuses a
// complete stored city of the same seed and scale, and otherwise generates
// one into a temporary file that is renamed into place only once it is
// complete, so an interrupted run never leaves a half city to be reused.
func ensureDemo(ctx context.Context, dir string, opt demoOptions, log *slog.Logger, gate *api.Gate) error {
	path := filepath.Join(dir, storeFile)
	if _, err := os.Stat(path); err == nil {
		seed, scale, err := storedDemo(ctx, path)
		if err != nil {
			return err
		}
		same := (!opt.seedSet || seed == strconv.FormatInt(opt.seed, 10)) &&
			(!opt.scaleSet || scale == formatScale(opt.scale))
		switch {
		case same:
			log.Info("reusing the stored city", "path", path, "seed", seed, "scale", scale)
			return ensureDemoHistory(ctx, path, seed, opt, log, gate)
		case !opt.regen:
			if seed == "" {
				return fmt.Errorf("%s holds a city that is not a generated demo city; use another --dir", path)
			}
			return fmt.Errorf("%s holds the demo city of seed %s scale %s, not seed %d scale %s: use another --dir, or --regen to replace it",
				path, seed, scale, opt.seed, formatScale(opt.scale))
		case seed == "":
			return fmt.Errorf("%s holds a city that is not a generated demo city: --regen refuses to delete it; use another --dir", path)
		}
		log.Warn("replacing the stored demo city", "path", path, "old_seed", seed, "old_scale", scale,
			"seed", opt.seed, "scale", formatScale(opt.scale))
		for _, p := range []string{path, path + "-wal", path + "-shm", filepath.Join(dir, tilesFile)} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove old city: %w", err)
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(path); err == nil {
		// Another run finished the city while this one waited to start.
		log.Info("reusing the city another run just stored", "path", path)
		return nil
	}
	return generateDemo(ctx, path, opt, log, gate)
}

// storedDemo reads the seed and scale recorded in a store ("" when the
// store was not made by 'citygrid demo').
func storedDemo(ctx context.Context, path string) (seed, scale string, err error) {
	st, err := gpkg.Open(ctx, path)
	if err != nil {
		return "", "", fmt.Errorf("open stored city %s: %w", path, err)
	}
	defer st.Close()
	if seed, err = st.Meta(ctx, metaDemoSeed); err != nil {
		return "", "", fmt.Errorf("read %s: %w", metaDemoSeed, err)
	}
	if scale, err = st.Meta(ctx, metaDemoScale); err != nil {
		return "", "", fmt.Errorf("read %s: %w", metaDemoScale, err)
	}
	return seed, scale, nil
}

// formatScale writes a scale the way the store records it.
func formatScale(s float64) string { return strconv.FormatFloat(s, 'g', -1, 64) }

// generateDemo generates the city and stores it at path.
func generateDemo(ctx context.Context, path string, opt demoOptions, log *slog.Logger, gate *api.Gate) error {
	tmp := path + ".partial"
	removeStore := func() {
		for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm", tmp + "-journal"} {
			_ = os.Remove(p)
		}
	}
	removeStore()
	log.Info("generating the demo city", "path", path, "seed", opt.seed, "scale", formatScale(opt.scale))
	gate.SetStage("generating demo city")
	t0 := time.Now()

	bar := &phaseBar{bar: newBar(1, "generating city")}
	ds, err := demo.Generate(ctx, demo.Options{Seed: opt.seed, Scale: opt.scale, Progress: bar})
	_ = bar.bar.Finish()
	if err != nil {
		return fmt.Errorf("generate demo city: %w", err)
	}
	log.Info("demo city generated", "took", time.Since(t0).Round(time.Millisecond),
		"unit_grids", len(ds.UnitGrids), "components", len(ds.Components))

	gate.SetStage("storing demo city")
	t1 := time.Now()
	st, err := gpkg.Open(ctx, tmp)
	if err != nil {
		removeStore()
		return fmt.Errorf("create store: %w", err)
	}
	spin := newBar(-1, "writing "+storeFile)
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				_ = spin.Add(1)
			}
		}
	}()
	err = st.Insert(ctx, ds)
	if err == nil {
		gate.SetStage("storing demo case history")
		err = storeDemoHistory(ctx, st, ds, opt, time.Now().Truncate(time.Minute), log)
	}
	if err == nil {
		err = st.SetMeta(ctx, metaDemoSeed, strconv.FormatInt(opt.seed, 10))
	}
	if err == nil {
		err = st.SetMeta(ctx, metaDemoScale, formatScale(opt.scale))
	}
	close(done)
	_ = spin.Finish()
	if err == nil {
		err = addDemoUsers(ctx, st, ds, log, os.Stdout, opt.addr)
	}
	if cerr := st.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close store: %w", cerr)
	}
	if err != nil {
		removeStore()
		return fmt.Errorf("store demo city: %w", err)
	}
	// Closing the last connection normally checkpoints and removes the
	// WAL; should one remain, it moves with the database it belongs to.
	_ = os.Remove(tmp + "-shm")
	if _, err := os.Stat(tmp + "-wal"); err == nil {
		if err := os.Rename(tmp+"-wal", path+"-wal"); err != nil {
			removeStore()
			return fmt.Errorf("store demo city: %w", err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		removeStore()
		return fmt.Errorf("store demo city: %w", err)
	}
	log.Info("demo city stored", "path", path, "took", time.Since(t1).Round(time.Millisecond))
	return nil
}

// ensureDemoHistory gives a stored demo city of seed its case history when
// the store has none yet (a city stored before the history was written at
// generation time).
func ensureDemoHistory(ctx context.Context, path, seed string, opt demoOptions, log *slog.Logger, gate *api.Gate) error {
	st, err := gpkg.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("open stored city %s: %w", path, err)
	}
	defer st.Close()
	if n, err := st.Meta(ctx, metaDemoCases); err != nil || n != "" {
		return err
	}
	if opt.seed, err = strconv.ParseInt(seed, 10, 64); err != nil {
		return fmt.Errorf("%s: %s %q: %w", path, metaDemoSeed, seed, err)
	}
	gate.SetStage("storing demo case history")
	ds, err := st.Load(ctx)
	if err != nil {
		return fmt.Errorf("load stored city %s: %w", path, err)
	}
	return storeDemoHistory(ctx, st, ds, opt, time.Now().Truncate(time.Minute), log)
}

// storeDemoHistory writes a year of the demo city's case work, ending at
// end (now, when the city is generated), into its case store through the bulk import, so that the command
// page and the statistics have a history from the first request. The
// seed gives the same cases for the same city and end; each case's
// handling unit is the one the server's responsibility lookup names.
func storeDemoHistory(ctx context.Context, st *gpkg.Store, ds *data.Dataset, opt demoOptions, end time.Time, log *slog.Logger) error {
	t0 := time.Now()
	ix, err := spatial.BuildOptions(ds, opt.index)
	if err != nil {
		return fmt.Errorf("demo case history: %w", err)
	}
	responsible := func(p orb.Point, kind data.CategoryKind, category, component string) string {
		if r, err := ix.Responsible(p, kind, category, component); err == nil {
			return r.Unit.Code
		}
		return ""
	}
	cs, trs, err := demo.Cases(ds, demo.CaseOptions{Seed: opt.seed, End: end, Responsible: responsible})
	if err != nil {
		return fmt.Errorf("demo case history: %w", err)
	}
	store, err := sqlitecases.New(ctx, st.DB())
	if err != nil {
		return fmt.Errorf("demo case history: %w", err)
	}
	if err := store.ImportHistory(ctx, &cases.History{Cases: cs, Transitions: trs}, cases.AppendHistory); err != nil {
		return fmt.Errorf("demo case history: %w", err)
	}
	if err := st.SetMeta(ctx, metaDemoCases, strconv.Itoa(len(cs))); err != nil {
		return fmt.Errorf("demo case history: %w", err)
	}
	log.Info("demo case history stored", "cases", len(cs), "transitions", len(trs), "took", time.Since(t0).Round(time.Millisecond))
	return nil
}

// phaseBar drives a progress bar from the demo generator's progress lines,
// "demo: <step>/<steps> <phase>", one per phase as it starts.
type phaseBar struct {
	bar  *progressbar.ProgressBar
	line []byte
}

// Write consumes whole lines and moves the bar; partial lines wait.
func (p *phaseBar) Write(b []byte) (int, error) {
	p.line = append(p.line, b...)
	for {
		i := bytes.IndexByte(p.line, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := string(p.line[:i])
		p.line = p.line[i+1:]
		var step, steps int
		if _, err := fmt.Sscanf(line, "demo: %d/%d", &step, &steps); err != nil || steps <= 0 {
			continue
		}
		phase := line
		if f := strings.Fields(line); len(f) >= 3 {
			phase = strings.Join(f[2:], " ")
		}
		p.bar.ChangeMax(steps)
		p.bar.Describe(fmt.Sprintf("generating city: %-24s", phase))
		_ = p.bar.Set(step - 1)
	}
}

// newBar makes a progress bar on stderr (a spinner when max is -1). When
// stderr is not a terminal (CI, journald, a log file) the bar stays
// silent: the structured log lines say the same without carriage returns.
func newBar(max int64, what string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(max,
		progressbar.OptionSetVisibility(term.IsTerminal(int(os.Stderr.Fd()))),
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}
