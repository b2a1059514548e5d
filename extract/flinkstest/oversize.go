package flinkstest

import (
	"io"
	"net/http"
	"strconv"
)

// writeOversize streams a valid investments payload of at least minBytes,
// one small buffer at a time: one account whose Transactions array is padded
// with deposits. It stops early when the client or the sandbox goes away.
func writeOversize(w io.Writer, minBytes int64, done <-chan struct{}, r *http.Request) {
	const prefix = `{"Investments":[{"Name":"FlinksCapital","Id":"14","Accounts":[{"Id":"00000000-0000-4000-8000-00000000b16b","Name":"Oversize","Type":"cash","Currency":"cad","Cash":0.00,"AccountValue":0.00,"CurrencyValue":0.00,"Positions":[],"Transactions":[`
	const suffix = `]}]}],"Message":null}`
	buf := make([]byte, 0, 64<<10)
	buf = append(buf, prefix...)
	written := int64(0)
	for i := 0; ; i++ {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, `{"Id":"pad-`...)
		buf = strconv.AppendInt(buf, int64(i), 10)
		buf = append(buf, `","Date":"2025-01-01","Type":"deposit","Description":"padding to exceed the size cap","NetAmount":0.01,"Currency":"cad"}`...)
		last := written+int64(len(buf))+int64(len(suffix)) >= minBytes
		if last {
			buf = append(buf, suffix...)
		}
		if len(buf) >= cap(buf)-512 || last {
			if _, err := w.Write(buf); err != nil {
				return
			}
			written += int64(len(buf))
			buf = buf[:0]
			select {
			case <-done:
				return
			case <-r.Context().Done():
				return
			default:
			}
		}
		if last {
			return
		}
	}
}
