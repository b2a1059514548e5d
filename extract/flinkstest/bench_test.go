package flinkstest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkPayload measures payload generation: MB/s, and bytes and
// allocations per login.
func BenchmarkPayload(b *testing.B) {
	logins := DemoLogins(1, 1000)
	total := 0
	for _, id := range logins {
		total += len(Payload(1, id, testAsOf))
	}
	b.SetBytes(int64(total / len(logins)))
	b.ReportAllocs()
	buf := make([]byte, 0, 64<<10)
	i := 0
	for b.Loop() {
		buf = appendPayload(buf[:0], 1, logins[i%len(logins)], testAsOf, false)
		i++
	}
	b.ReportMetric(float64(total)/float64(len(logins)), "bytes/login")
}

// BenchmarkServe200 measures answering a ready Investments call with its
// 200 payload over loopback, from parallel clients.
func BenchmarkServe200(b *testing.B) {
	s := start(b, Config{Seed: 1, RequestLog: -1})
	logins := DemoLogins(1, 256)
	rids := make([]string, len(logins))
	for i, id := range logins {
		rids[i] = authorize(b, s, id, nil).field("RequestId")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var next atomic.Int64
	var bytesRead atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1)) % len(logins)
			body := `{"LoginId":"` + logins[i] + `","RequestId":"` + rids[i] + `"}`
			resp, err := client.Post(investmentsURL(s), "application/json", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
			bytesRead.Add(n)
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(bytesRead.Load())/float64(b.N), "bytes/req")
}

// BenchmarkLoginFlow measures a whole healthy login (Authorize, one 202,
// the 200) over loopback, from parallel clients.
func BenchmarkLoginFlow(b *testing.B) {
	s := start(b, Config{Seed: 1, RequestLog: -1, Pending: FixedPending(1)})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := guid(mix(uint64(next.Add(1)), 77), 0x1234)
			post := func(url, body string) []byte {
				resp, err := client.Post(url, "application/json", strings.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				defer resp.Body.Close()
				var buf bytes.Buffer
				buf.ReadFrom(resp.Body) //nolint:errcheck
				return buf.Bytes()
			}
			a := post(banking(s, "Authorize"), `{"LoginId":"`+id+`"}`)
			rid := reply{body: a}.field("RequestId")
			for range 2 {
				post(investmentsURL(s), `{"LoginId":"`+id+`","RequestId":"`+rid+`"}`)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
	b.ReportMetric(float64(s.OpenSessions()), "sessions-held")
}

// BenchmarkMemoryPerLogin runs whole healthy logins through the handler
// in-process (no sockets) and reports the heap the sandbox keeps per login:
// its exact counts, and sessions until they are swept.
func BenchmarkMemoryPerLogin(b *testing.B) {
	s := NewHandler(Config{Seed: 1, RequestLog: -1})
	serve := func(url, body string) []byte {
		req := httptest.NewRequest(http.MethodPost, url, strings.NewReader(body))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Body.Bytes()
	}
	root := "/v3/" + DefaultCustomerID
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := 0
	for b.Loop() {
		id := guid(mix(uint64(n), 99), 0x5678)
		n++
		rid := reply{body: serve(root+"/BankingServices/Authorize", `{"LoginId":"`+id+`"}`)}.field("RequestId")
		serve(root+"/Investments", `{"LoginId":"`+id+`","RequestId":"`+rid+`"}`)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "heap-B/login")
	b.ReportMetric(float64(s.OpenSessions()), "sessions")
}
