package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/syncer/syncer/load/duckdb"
)

// holdEnvCmd makes TestHoldWarehouseHelper, re-executed as a subprocess,
// hold the named warehouse open for writing until its stdin closes.
const holdEnvCmd = "SYNCER_TEST_HOLD"

func TestHoldWarehouseHelper(t *testing.T) {
	path := os.Getenv(holdEnvCmd)
	if path == "" {
		t.Skip("helper process of TestReadCommandsLogThroughSlog")
	}
	sink, err := duckdb.Open(context.Background(), duckdb.Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("holding")
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
}

// holdWarehouseCmd starts another process holding the warehouse at path;
// closing the returned writer releases it.
func holdWarehouseCmd(t *testing.T, path string) io.WriteCloser {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldWarehouseHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), holdEnvCmd+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && lines.Text() != "holding" {
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return stdin
}

// goLogLine is the start of a line of Go's log package (and of slog's
// default handler, which prints through it).
var goLogLine = regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d `)

// TestReadCommandsLogThroughSlog: `sql` waiting for a warehouse another
// process holds logs the wait through the --log-format handler on stderr
// (a slog text line, or a JSON line), never Go's log format, and answers
// once the warehouse is released.
func TestReadCommandsLogThroughSlog(t *testing.T) {
	_, db := typedWarehouse(t)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			release := holdWarehouseCmd(t, db)
			cmd := exec.Command(os.Args[0], "sql", "--db", db, "--log-format", format, "--format", "csv", "SELECT count(*) AS n FROM logins")
			cmd.Env = append(os.Environ(), "SYNCER_TEST_MAIN=1")
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var logged []string
			lines := bufio.NewScanner(stderr)
			for lines.Scan() {
				logged = append(logged, lines.Text())
				if strings.Contains(lines.Text(), "warehouse is busy") {
					release.Close()
				}
			}
			if err := cmd.Wait(); err != nil || stdout.String() != "n\n1\n" {
				t.Fatalf("sql after the wait: %v, stdout %q, stderr:\n%s", err, stdout.String(), strings.Join(logged, "\n"))
			}
			all := strings.Join(logged, "\n")
			if goLogLine.MatchString(all) || len(logged) == 0 {
				t.Errorf("logs not in the --log-format %s format:\n%s", format, all)
			}
			busy := false
			for _, l := range logged {
				switch format {
				case "text":
					busy = busy || regexp.MustCompile(`^time=\S+ level=WARN msg="warehouse is busy, waiting for it" path=`).MatchString(l)
				case "json":
					var m map[string]any
					if err := json.Unmarshal([]byte(l), &m); err != nil {
						t.Errorf("a log line that is not JSON: %s", l)
					}
					busy = busy || (m["msg"] == "warehouse is busy, waiting for it" && m["level"] == "WARN" && m["path"] == db)
				}
			}
			if !busy {
				t.Errorf("no %s line logging the wait:\n%s", format, all)
			}
		})
	}
}

// TestSandboxLogsThroughSlog: `sandbox --log-format json` logs where it
// listens as a JSON line on stderr.
func TestSandboxLogsThroughSlog(t *testing.T) {
	cmd := exec.Command(os.Args[0], "sandbox", "--addr", "127.0.0.1:0", "--log-format", "json")
	cmd.Env = append(os.Environ(), "SYNCER_TEST_MAIN=1")
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := bufio.NewScanner(stderr)
	if !lines.Scan() {
		t.Fatalf("sandbox logged nothing: %v", cmd.Wait())
	}
	var m map[string]any
	if err := json.Unmarshal(lines.Bytes(), &m); err != nil || m["level"] != "INFO" || !strings.HasPrefix(fmt.Sprint(m["url"]), "http://127.0.0.1:") {
		t.Errorf("sandbox's first log line: %s (%v)", lines.Text(), err)
	}
}
