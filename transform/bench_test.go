package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bigPayload writes a realistic payload: accounts × (8 positions over a
// 40-security universe, 25 transactions with partial security references).
func bigPayload(accounts int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"Investments":[{"Name":"FlinksCapital","Id":"14","Accounts":[`)
	for a := range accounts {
		if a > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Id":"acct-%06d-4f19-641c-08d6d484e2fe","FullAccountId":"Self-directed TFSA %08d CAD","AccountId":"%08d",`+
			`"Name":"Self-directed TFSA","Type":"tfsa","Registered":true,"Currency":"cad","Cash":1250.10,"AccountValue":9062.10,"CurrencyValue":9062.10,"Positions":[`,
			a, 10000000+a, 10000000+a)
		for p := range 8 {
			if p > 0 {
				b.WriteByte(',')
			}
			s := (a*7 + p*5) % 40
			fmt.Fprintf(&b, `{"Quantity":%d.%04d,"Price":38.12,"MarketValue":3812.00,"BookValue":3500.00,"AverageCost":35.0012,"Currency":"cad","AsOfDate":"2025-01-31",`+
				`"Security":{"Id":"sec-%02d","Symbol":"SYM%02d","Name":"Security number %d ETF","Cusip":null,"Isin":"CA46436Q%04d","Type":"etf","Currency":"cad"}}`,
				100+p, a%10000, s, s, s, s)
		}
		b.WriteString(`],"Transactions":[`)
		for t := range 25 {
			if t > 0 {
				b.WriteByte(',')
			}
			s := (a + t) % 40
			sec := fmt.Sprintf(`{"Id":"sec-%02d","Symbol":"SYM%02d"}`, s, s)
			if t%3 == 1 {
				sec = fmt.Sprintf(`{"Symbol":"SYM%02d"}`, s)
			} else if t%5 == 4 {
				sec = "null"
			}
			fmt.Fprintf(&b, `{"Id":"a1b2c3d4-%06d-%04d","Date":"2025-01-%02d","SettlementDate":"2025-01-%02d","Type":"buy","Description":"BUY SYM%02d",`+
				`"Quantity":10,"Price":37.90,"Fees":4.95,"NetAmount":-383.95,"Currency":"cad","Security":%s}`,
				a, t, 1+t%28, 1+t%28, s, sec)
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}],"Message":null}`)
	return b.Bytes()
}

func benchInputs(b *testing.B) map[string][]byte {
	// A set of payloads as one stream, run one after the other.
	var all, sandbox bytes.Buffer
	names := []string{}
	c := corpus(b)
	for n := range c {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		all.Write(c[n])
		all.WriteByte(0)
		if strings.HasPrefix(n, "sandbox_") {
			sandbox.Write(c[n])
			sandbox.WriteByte(0)
		}
	}
	return map[string][]byte{"corpus": all.Bytes(), "sandbox": sandbox.Bytes(), "big": bigPayload(2000)}
}

// BenchmarkFromJSON measures payload bytes → rows (decode + transform) on
// the whole fixture corpus (mostly edge cases), on the sandbox's realistic
// payloads alone, and on a big generated payload (2,000 accounts), with the simplest
// alternative (encoding/json into map[string]any with UseNumber, which does
// not even build rows) on the same bytes for comparison.
func BenchmarkFromJSON(b *testing.B) {
	inputs := benchInputs(b)
	for _, name := range []string{"corpus", "sandbox", "big"} {
		in := inputs[name]
		bodies := bytes.Split(bytes.TrimSuffix(in, []byte{0}), []byte{0})
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in) - len(bodies)))
			b.ReportAllocs()
			rows := 0
			defer reportCPU(b, len(in)-len(bodies))()
			for b.Loop() {
				rows = 0
				for _, body := range bodies {
					batch, _, err := FromJSON(body, goldenContext())
					if err != nil {
						b.Fatal(err)
					}
					for _, r := range batch.Rows {
						rows += len(r)
					}
				}
			}
			b.ReportMetric(float64(rows), "rows/op")
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run(name+"/baseline_map_UseNumber", func(b *testing.B) {
			b.SetBytes(int64(len(in) - len(bodies)))
			b.ReportAllocs()
			defer reportCPU(b, len(in)-len(bodies))()
			for b.Loop() {
				for _, body := range bodies {
					d := json.NewDecoder(bytes.NewReader(body))
					d.UseNumber()
					var v map[string]any
					if err := d.Decode(&v); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// reportCPU reports throughput per second of process CPU time (all threads,
// GC included) rather than wall time, which other processes on a shared
// machine distort. Call it before the loop and defer the function it returns.
func reportCPU(b *testing.B, bytesPerOp int) func() {
	start := cpuTime()
	return func() {
		if used := cpuTime() - start; used > 0 {
			b.ReportMetric(float64(bytesPerOp)*float64(b.N)/used.Seconds()/1e6, "cpu-MB/s")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
