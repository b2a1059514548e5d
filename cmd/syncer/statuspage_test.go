package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/syncer/syncer/extract"
	"github.com/syncer/syncer/extract/flinkstest"
	"github.com/syncer/syncer/pipeline"
)

// pageLogins: three healthy logins, a disabled one and one whose data is
// five days old.
func pageLogins() []string {
	return append(flinkstest.DemoLogins(18, 3), flinkstest.FaultLogin(flinkstest.FaultDisabledLogin, 1), flinkstest.StaleLogin(5, 2))
}

// The status page is plain HTML that names logins only by their hash,
// whatever browser reads it.
func TestStatusPageServedWithoutLoginIds(t *testing.T) {
	s := startSchedule(t, scheduleHooks{}, sandboxArgs(t, flinkstest.Config{Seed: 18}, pageLogins())...)
	s.tick()
	resp, err := http.Get(s.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, ct)
	}
	_, body := s.get("/")
	for _, want := range []string{"<svg", "DISABLED_LOGIN", extract.HashLogin(pageLogins()[3]), "partial"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	for _, id := range pageLogins() {
		if strings.Contains(body, id) {
			t.Errorf("the page shows a raw LoginId")
		}
	}
	for _, ext := range []string{"http://", "https://", "<script"} {
		if strings.Contains(body, ext) {
			t.Errorf("the page has %q: it must need neither the network nor JavaScript", ext)
		}
	}
	if code, _ := s.get("/nope"); code != http.StatusNotFound {
		t.Errorf("GET /nope: %d", code)
	}
}

// chromium returns the path of a Chromium to drive, or skips the test.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
	return ""
}

// A real browser (headless Chromium) loads the status page of a scheduler
// that ran two syncs against the sandbox: it shows the two runs and their
// status, a chart with a point and a bar per run, the failures naming the
// disabled login's FlinksCode, and every login's freshness, stale first,
// by hash only. A screenshot is kept under $SYNCER_ARTIFACTS (else the
// test's temporary directory); its path is logged.
func TestStatusPageInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	browser := chromium(t)
	began := time.Now()
	s := startSchedule(t, scheduleHooks{}, sandboxArgs(t, flinkstest.Config{Seed: 18}, pageLogins())...)
	first, second := s.tick(), s.tick()

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 1024))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelTimeout()

	type domView struct {
		Title      string   `json:"title"`
		Runs       []string `json:"runs"`
		RunIDs     []string `json:"runIds"`
		Points     int      `json:"points"`
		Bars       int      `json:"bars"`
		SVGWidth   float64  `json:"svgWidth"`
		Failures   string   `json:"failures"`
		Logins     []string `json:"logins"`
		FirstStale bool     `json:"firstStale"`
		Stale      int      `json:"stale"`
		HTML       string   `json:"html"`
	}
	const read = `({
		title: document.title,
		runs: [...document.querySelectorAll('#runs tbody tr .status')].map(e => e.textContent.trim()),
		runIds: [...document.querySelectorAll('#runs tbody tr .run-id')].map(e => e.textContent.trim()),
		points: document.querySelectorAll('#chart svg .duration-point').length,
		bars: document.querySelectorAll('#chart svg .logins-bar').length,
		svgWidth: document.querySelector('#chart svg').getBoundingClientRect().width,
		failures: document.querySelector('#failures').innerText,
		logins: [...document.querySelectorAll('#freshness tbody tr .login')].map(e => e.textContent.trim()),
		firstStale: document.querySelector('#freshness tbody tr').classList.contains('stale'),
		stale: document.querySelectorAll('#freshness tbody tr.stale').length,
		html: document.documentElement.outerHTML,
	})`
	if err := chromedp.Do(ctx, chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS("#chart svg"))); err != nil {
		t.Fatalf("Chromium loading the page: %v", err)
	}
	dom, err := chromedp.Run(ctx, chromedp.Evaluate[domView](read))
	if err != nil {
		t.Fatalf("reading the DOM: %v", err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}

	if !strings.Contains(dom.Title, "syncer") {
		t.Errorf("title %q", dom.Title)
	}
	if want := []string{second.Status, first.Status}; !slices.Equal(dom.Runs, want) || first.Status != pipeline.RunPartial {
		t.Errorf("runs shown %v, want %v (newest first, partial)", dom.Runs, want)
	}
	if want := []string{second.RunID, first.RunID}; !slices.Equal(dom.RunIDs, want) {
		t.Errorf("run ids shown %v, want %v", dom.RunIDs, want)
	}
	if dom.Points != 2 || dom.Bars != 2 || dom.SVGWidth <= 0 {
		t.Errorf("chart: %d duration points, %d login bars, %v px wide; want 2, 2, > 0", dom.Points, dom.Bars, dom.SVGWidth)
	}
	if !strings.Contains(dom.Failures, "DISABLED_LOGIN") || !strings.Contains(dom.Failures, pipeline.StatusNeedsUserAction) {
		t.Errorf("failures table: %q", dom.Failures)
	}
	var hashes []string
	for _, id := range pageLogins() {
		hashes = append(hashes, extract.HashLogin(id))
		if strings.Contains(dom.HTML, id) {
			t.Errorf("the page shows a raw LoginId")
		}
	}
	hex12 := regexp.MustCompile(`^[0-9a-f]{12}$`)
	for _, h := range dom.Logins {
		if !hex12.MatchString(h) || !slices.Contains(hashes, h) {
			t.Errorf("freshness row names %q, not one of the logins' hashes", h)
		}
	}
	if len(dom.Logins) != len(pageLogins()) || !dom.FirstStale || dom.Stale != 2 {
		t.Errorf("freshness: %d rows (want %d), first stale %v, %d stale (want 2: the disabled and the 5-day-old login)",
			len(dom.Logins), len(pageLogins()), dom.FirstStale, dom.Stale)
	}

	dir := os.Getenv("SYNCER_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "status-page.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("status page screenshot: %s (%d bytes); test wall time %v", shot, len(png), time.Since(began).Round(time.Millisecond))
}
