package lakeenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// How often a starting server is probed, and the most a probe may take.
const (
	probeEvery   = 20 * time.Millisecond
	probeTimeout = 2 * time.Second
)

// proc is a server process: in a process group of its own, killed by the
// kernel if the test binary dies first (see sysProcAttr), its stdout and
// stderr in a log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed once the process has exited and been waited for
	err  error         // Wait's error, once done is closed
}

// account is a user to run a process as: uid and gid.
type account struct{ uid, gid uint32 }

// startProc starts argv as a server named name, with exactly env as its
// environment (nothing of the test's leaks into it), run as user as (nil:
// as the test's own user), writing its output to logPath.
func startProc(name, logPath string, as *account, env []string, argv ...string) (*proc, error) {
	attr, err := sysProcAttr(as)
	if err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lakeenv: %s's log: %w", name, err)
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr, cmd.SysProcAttr = env, logFile, logFile, attr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("lakeenv: starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// waitReady returns once probe succeeds, trying it every probeEvery; it
// gives up, with the last probe's error and the end of the server's log,
// when the process exits or after within.
func (p *proc) waitReady(within time.Duration, probe func(context.Context) error) error {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		err := probe(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("lakeenv: %s exited before it was ready (%v); its log ends:\n%s", p.name, p.err, p.tail())
		case <-deadline.C:
			p.stop(syscall.SIGKILL, 0)
			return fmt.Errorf("lakeenv: %s not ready after %v (%v); its log ends:\n%s", p.name, within, err, p.tail())
		case <-tick.C:
		}
	}
}

// stop sends sig to the server and waits up to grace for it to exit, then
// kills its whole process group; it returns once the process has been
// waited for.
func (p *proc) stop(sig syscall.Signal, grace time.Duration) {
	_ = p.cmd.Process.Signal(sig) // fails only if it has exited already
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
		return
	case <-timer.C:
	}
	killGroup(p.cmd.Process.Pid)
	<-p.done
}

// tail is the end of the server's log: what to show when it fails.
func (p *proc) tail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", p.log, err)
	}
	const keep = 2000
	if len(b) > keep {
		b = b[len(b)-keep:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return strings.TrimRight(string(b), "\n")
}

// runTool runs a set-up command (such as initdb) to its end, as user as,
// with exactly env, and returns an error with its output if it fails.
func runTool(within time.Duration, as *account, env []string, argv ...string) error {
	attr, err := sysProcAttr(as)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env, cmd.SysProcAttr = env, attr
	cmd.Cancel = func() error { killGroup(cmd.Process.Pid); return nil }
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("lakeenv: %s: %w; its output ends:\n%s", strings.Join(argv, " "), err, lastLines(string(out), 20))
	}
	return nil
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// freePort returns a TCP port free on 127.0.0.1 now (the server that is
// given it binds it moments later).
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("lakeenv: no free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// baseEnv is the environment a server starts with: PATH only (and the
// caller's additions), so that no variable of the test's (PG*, VGW_*,
// AWS_*) changes what it does.
func baseEnv(extra ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH")}, extra...)
}
