package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadLoginsCleansAndDedupes(t *testing.T) {
	a, b := "5e115eac-1209-4f19-641c-08d6d484e2fe", "6F1C0F5E-1209-4F19-641C-08D6D484E2FF"
	in := "# nightly list\n\n" + a + "   # trailing comment\n\t" + b + "\n" + strings.ToUpper(a) + "\n\n"
	ids, err := gatherLogins("-", []string{b}, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{a, strings.ToLower(b)}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", ids, want)
	}
}

func TestReadLoginsErrorsNameTheLineNotTheValue(t *testing.T) {
	secretish := "0badbeef-1209-4f19-641c-08d6d484e2f" // one digit short
	_, err := gatherLogins("-", nil, strings.NewReader("# x\n"+secretish+"\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), secretish) {
		t.Errorf("error %v: want the line number and not the value", err)
	}
}

// TestReadLoginsMillionLines reads a 1,000,000-line list with comments,
// blanks and duplicates.
func TestReadLoginsMillionLines(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 40 MB file")
	}
	path := filepath.Join(t.TempDir(), "logins.txt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1_000_000
	distinct := map[int]bool{}
	for i := range n {
		switch i % 10 {
		case 0:
			fmt.Fprintln(f, "# comment")
		case 1:
			fmt.Fprintln(f)
		default:
			fmt.Fprintf(f, "%08x-0000-4000-8000-%012x\n", i%700_000, i%700_000)
			distinct[i%700_000] = true
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ids, err := readLogins(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 800_000 {
		t.Fatalf("%d LoginIds read, want 800000 before dedupe", len(ids))
	}
	if got := len(dedupe(ids)); got != len(distinct) {
		t.Errorf("%d distinct LoginIds, want %d", got, len(distinct))
	}
}

// TestReadLoginsAcceptsABOM: a list saved by an editor that writes a UTF-8
// byte order mark reads like any other.
func TestReadLoginsAcceptsABOM(t *testing.T) {
	a := "5e115eac-1209-4f19-641c-08d6d484e2fe"
	ids, err := gatherLogins("-", nil, strings.NewReader("\uFEFF"+a+"\r\n"))
	if err != nil || len(ids) != 1 || ids[0] != a {
		t.Errorf("got %v, %v; want [%s]", ids, err, a)
	}
}

// TestReadLoginsReportsEveryBadLine: one error names every bad line (the
// first 20, and how many more), never their content.
func TestReadLoginsReportsEveryBadLine(t *testing.T) {
	good := "5e115eac-1209-4f19-641c-08d6d484e2fe"
	var b strings.Builder
	var want []string
	for n := 1; n <= 50; n++ {
		switch {
		case n%2 == 1:
			b.WriteString(good + "\n")
		default:
			fmt.Fprintf(&b, "0badbeef-%04d\n", n)
			if len(want) < maxBadLines {
				want = append(want, fmt.Sprint(n))
			}
		}
	}
	_, err := gatherLogins("-", nil, strings.NewReader(b.String()))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	if !strings.Contains(msg, "25 lines are not LoginIds") || !strings.Contains(msg, "lines "+strings.Join(want, ", ")+" and 5 more") {
		t.Errorf("error %q: want the 25 bad lines counted and the first 20 named", msg)
	}
	if strings.Contains(msg, "0badbeef") {
		t.Errorf("error %q repeats a line's content", msg)
	}
}
