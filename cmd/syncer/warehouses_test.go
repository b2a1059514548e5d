package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/syncer/syncer/load"
	"github.com/syncer/syncer/pipeline"
	"github.com/syncer/syncer/schema"
)

// fakeKind is a kind of warehouse enabled by --NAME DIR, recording in log
// what the CLI asks of it: a fake with function fields' spirit, for the
// tests of the seam between cmd and the registry.
func fakeKind(name string, log *[]string, every int, latency time.Duration, ledgered bool) load.Kind {
	return load.Kind{Name: name, AddFlags: func(fs *pflag.FlagSet, getenv func(string) string) load.Location {
		l := &fakeLocation{name: name, log: log, every: every, latency: latency, ledgered: ledgered}
		fs.StringVar(&l.dir, name, getenv("FAKE_"+strings.ToUpper(name)), "the "+name+" warehouse")
		return l
	}}
}

type fakeLocation struct {
	name, dir       string
	log             *[]string
	every           int
	latency         time.Duration
	ledgered        bool
	readDirsAsked   []string
	validatedOthers bool
}

func (l *fakeLocation) Enabled() bool { return l.dir != "" }
func (l *fakeLocation) Validate(others bool) error {
	l.validatedOthers = others
	return nil
}
func (l *fakeLocation) Describe() (string, string)           { return l.name + " store", l.dir }
func (l *fakeLocation) Exists() bool                         { return true }
func (l *fakeLocation) CheckParent() error                   { return load.CheckParent("--"+l.name, l.dir) }
func (l *fakeLocation) Sidecar(name string) string           { return filepath.Join(l.dir, name) }
func (l *fakeLocation) ReadDirs() []string                   { return []string{l.dir} }
func (l *fakeLocation) CommitDefaults() (int, time.Duration) { return l.every, l.latency }

func (l *fakeLocation) Open(context.Context, load.OpenOptions) (load.Sink, error) {
	*l.log = append(*l.log, "open "+l.name)
	s := &fakeWarehouseSink{name: l.name, log: l.log}
	if l.ledgered {
		return ledgeredSink{s}, nil
	}
	return s, nil
}

func (l *fakeLocation) OpenReader(_ context.Context, o load.ReadOptions) (load.Reader, error) {
	*l.log = append(*l.log, "read "+l.name)
	l.readDirsAsked = o.ReadDirs
	return fakeReader{name: l.name, log: l.log}, nil
}

type fakeWarehouseSink struct {
	name string
	log  *[]string
}

func (s *fakeWarehouseSink) Commit(_ context.Context, b []schema.Batch) error {
	*s.log = append(*s.log, fmt.Sprintf("commit %s %d", s.name, len(b)))
	return nil
}

func (s *fakeWarehouseSink) Close() error {
	*s.log = append(*s.log, "close "+s.name)
	return nil
}

type ledgeredSink struct{ *fakeWarehouseSink }

func (s ledgeredSink) Ledger() load.Ledger { return fakeReader{name: s.name, log: s.log} }

// fakeReader is a Reader whose ledger knows one login, named after its
// warehouse.
type fakeReader struct {
	name string
	log  *[]string
}

func (r fakeReader) KnownLogins(context.Context) ([]string, error) {
	return []string{r.name + "-login"}, nil
}
func (fakeReader) RunExists(context.Context, string) (bool, error) { return false, nil }
func (fakeReader) RetryCandidates(context.Context, []string) ([]string, error) {
	return nil, nil
}
func (fakeReader) RetryProducts(context.Context, []string) (map[string][]string, error) {
	return nil, nil
}
func (fakeReader) LoginStatuses(context.Context) ([]load.LoginRecord, error) { return nil, nil }
func (fakeReader) RecentRuns(context.Context, int) ([]load.RunRecord, error) { return nil, nil }
func (fakeReader) Query(context.Context, string) (load.Result, error)        { return nil, nil }
func (fakeReader) Registry(context.Context) ([]load.RegistryRecord, error)   { return nil, nil }
func (fakeReader) ErasedHashes(context.Context) ([]string, error)            { return nil, nil }
func (fakeReader) RejectedStreaks(context.Context) (map[string]int, error)   { return nil, nil }
func (r fakeReader) Close() error {
	*r.log = append(*r.log, "close reader "+r.name)
	return nil
}

// warehouseFlagsOf returns the warehouse flags of a command line, parsed
// and validated, for a test that opens the warehouse as a command does.
func warehouseFlagsOf(t testing.TB, args ...string) *warehouseFlags {
	t.Helper()
	var f warehouseFlags
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f.addFlags(fs, &environment{getenv: func(string) string { return "" }})
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := f.validate(); err != nil {
		t.Fatal(err)
	}
	return &f
}

// withWarehouses makes the registry the commands use kinds, for one test.
func withWarehouses(t *testing.T, kinds ...load.Kind) {
	saved := warehouses
	t.Cleanup(func() { warehouses = saved })
	warehouses = &load.Registry{}
	for _, k := range kinds {
		warehouses.Register(k)
	}
}

// TestCommandsFollowTheRegistry: the commands know warehouses only through
// the registry: each kind's flags, its validation, the commit defaults the
// enabled kinds ask for, opening every enabled one in order behind Multi
// with the primary's journal, the ledger from a sink that has one or else
// from the primary's reader, a reader that may read the others' files, and
// the summary's line naming them.
func TestCommandsFollowTheRegistry(t *testing.T) {
	var log []string
	withWarehouses(t, fakeKind("alpha", &log, 0, 0, false), fakeKind("beta", &log, 300, 2*time.Second, true))
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	parse := func(args ...string) (*syncFlags, *pflag.FlagSet) {
		t.Helper()
		var f syncFlags
		fs := pflag.NewFlagSet("sync", pflag.ContinueOnError)
		f.addFlags(fs, &environment{getenv: func(string) string { return "" }}, false)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		if err := f.validate(); err != nil {
			t.Fatal(err)
		}
		return &f, fs
	}
	f, fs := parse("--alpha", a, "--beta", b)
	if !f.locations[0].(*fakeLocation).validatedOthers || !slices.Equal(f.names, []string{"alpha", "beta"}) {
		t.Errorf("validate saw no other warehouse, or the flags are %v", f.names)
	}
	f.commitDefaults(fs)
	if f.commitEvery != 300 || f.commitLatency != 2*time.Second {
		t.Errorf("commit defaults %d, %v; want beta's 300, 2s", f.commitEvery, f.commitLatency)
	}
	quiet := slog.New(slog.DiscardHandler)
	w, err := openWarehouse(context.Background(), &f.warehouseFlags, quiet)
	if err != nil {
		t.Fatal(err)
	}
	known, err := w.knownLogins(context.Background())
	if err != nil || !slices.Equal(known, []string{"alpha-login"}) {
		t.Errorf("known logins %v, %v; want alpha's, read through its reader", known, err)
	}
	if err := w.sink.Commit(context.Background(), []schema.Batch{{RunID: "r", LoginID: "l"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"open alpha", "open beta", "read alpha", "commit alpha 1", "commit beta 1", "close reader alpha", "close beta", "close alpha"}
	if !slices.Equal(log, want) {
		t.Errorf("the warehouses were asked\n%v\nwant\n%v", log, want)
	}
	rd, err := openReadOnly(context.Background(), &f.warehouseFlags, quiet)
	if err != nil {
		t.Fatal(err)
	}
	rd.Close()
	if got := f.locations[0].(*fakeLocation).readDirsAsked; !slices.Equal(got, []string{b}) {
		t.Errorf("the primary's reader may read %v, want beta's %v", got, []string{b})
	}
	var out bytes.Buffer
	printSummary(&out, &pipeline.Summary{RunID: "r", Status: pipeline.RunSucceeded}, nil, f, nil)
	if line := "alpha store: " + a + " and beta store " + b + "\n"; !strings.Contains(out.String(), line) {
		t.Errorf("summary lacks %q:\n%s", line, out.String())
	}

	log = nil
	f, _ = parse("--beta", b)
	w, err = openWarehouse(context.Background(), &f.warehouseFlags, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if known, _ := w.knownLogins(context.Background()); !slices.Equal(known, []string{"beta-login"}) || holderKeyPath(&f.warehouseFlags) != filepath.Join(b, "holder-key") {
		t.Errorf("beta alone: known logins %v, holder key %s; want beta's own", known, holderKeyPath(&f.warehouseFlags))
	}
	w.Close()
	if want := []string{"open beta", "close beta"}; !slices.Equal(log, want) {
		t.Errorf("beta alone was asked %v, want %v (its sink's ledger, no reader)", log, want)
	}
}
