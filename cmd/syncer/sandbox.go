package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/syncer/syncer/extract/flinkstest"
)

const sandboxCustomerID = flinkstest.DefaultCustomerID

// sandboxDemoLogins are the healthy LoginIds `sync --sandbox` syncs when the
// warehouse knows none.
func sandboxDemoLogins(seed int64) []string { return flinkstest.DemoLogins(seed, 25) }

// sandboxConfig is the sandbox a person gets by default: a few quick polls
// per login, like Flinks' toolbox.
func sandboxConfig(seed int64, asOf time.Time, secretKey, apiKey string) flinkstest.Config {
	return flinkstest.Config{
		Seed: seed, AsOf: asOf, SecretKey: secretKey, APIKey: apiKey,
		Pending: flinkstest.PendingDist{Min: 0, Max: 2},
	}
}

// startSandbox runs the sandbox in-process on a loopback port for --sandbox.
func startSandbox(f *syncFlags, secretKey, apiKey string) (url, customerID string, stop func(), err error) {
	var asOf time.Time
	if f.sandboxAsOf != "" {
		asOf, _ = time.Parse(time.DateOnly, f.sandboxAsOf)
	}
	cfg := sandboxConfig(f.sandboxSeed, asOf, secretKey, apiKey)
	cfg.RetiredInvestments = f.sandboxRetired
	s := flinkstest.New(cfg)
	return s.URL, flinkstest.DefaultCustomerID, s.Close, nil
}

func runSandbox(ctx context.Context, env *environment, args []string) error {
	fs := newFlagSet(env, "sandbox", "[--addr 127.0.0.1:PORT] [flags]",
		"Serves the built-in Flinks imitation over HTTP, for demos and tests, until interrupted.")
	addr := fs.String("addr", "127.0.0.1:8089", "loopback address to listen on")
	seed := fs.Int64("seed", 1, "seed of the generated data")
	asOfText := fs.String("as-of", "", "as-of date (YYYY-MM-DD) of the data, which the logins were last refreshed on (default: today, UTC)")
	pendingMax := fs.Int("pending-max", 2, "most 202 answers a login gets before its data")
	rate := fs.Float64("rate", 0, "the sandbox's own rate limit in requests/s (0: none)")
	retired := fs.Bool("retired-investments", false, "answer /Investments as Flinks' retired product (410), as Flinks does since 2026-04-30")
	logFormat := fs.String("log-format", "text", "log format on stderr: text or json")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *logFormat != "text" && *logFormat != "json" {
		return usagef("--log-format must be text or json, not %q", *logFormat)
	}
	log := newLogger(*logFormat, env.stderr)
	var asOf time.Time
	if *asOfText != "" {
		t, err := time.Parse(time.DateOnly, *asOfText)
		if err != nil {
			return usagef("--as-of must be a date like 2025-01-31")
		}
		asOf = t
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return usagef("--addr must be HOST:PORT: %v", err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usagef("--addr must be a loopback address (127.0.0.1 or [::1]); the sandbox is not for networks")
	}
	cfg := sandboxConfig(*seed, asOf, "", "")
	cfg.Pending.Max = *pendingMax
	cfg.Rate = *rate
	cfg.RetiredInvestments = *retired
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return &exitError{code: exitFailed, err: err}
	}
	url := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: flinkstest.NewHandler(cfg), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError)}
	fmt.Fprintln(env.stdout, strings.TrimRight(flinkstest.DemoText(url, *seed), "\n"))
	log.Info("sandbox listening", "url", url, "seed", *seed)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		log.Info("sandbox stopping")
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return &exitError{code: exitFailed, err: err}
	}
}
