package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// isLoginID reports whether s has the shape of a Flinks LoginId (a GUID).
func isLoginID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// maxBadLines is how many bad line numbers an error about a LoginId list
// names.
const maxBadLines = 20

// readLogins reads a LoginId list: one per line, '#' starts a comment, blank
// lines are ignored, a UTF-8 byte order mark is skipped, '-' is stdin. Every
// bad line is reported in one error (the first maxBadLines by number).
// Errors name the lines, never their content, since a LoginId is a bearer
// handle on someone's data.
func readLogins(path string, stdin io.Reader) ([]string, error) {
	var r io.Reader = stdin
	name := "standard input"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("cannot read the LoginId file %s: %v", path, err)
		}
		defer f.Close()
		r, name = f, path
	}
	var ids []string
	var bad []int
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if n == 1 {
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		line, _, _ := strings.Cut(text, "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if !isLoginID(line) {
			bad = append(bad, n)
			continue
		}
		ids = append(ids, strings.ToLower(line))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %v", name, err)
	}
	if len(bad) > 0 {
		return nil, badLinesError(name, bad)
	}
	return ids, nil
}

// badLinesError names the bad lines of a LoginId list: all of them, or the
// first maxBadLines and how many more.
func badLinesError(name string, bad []int) error {
	const want = "want a GUID like 5e115eac-1209-4f19-641c-08d6d484e2fe"
	if len(bad) == 1 {
		return fmt.Errorf("%s line %d: not a LoginId (%s)", name, bad[0], want)
	}
	shown := bad[:min(len(bad), maxBadLines)]
	nums := make([]string, len(shown))
	for i, n := range shown {
		nums[i] = fmt.Sprint(n)
	}
	more := ""
	if len(bad) > len(shown) {
		more = fmt.Sprintf(" and %d more", len(bad)-len(shown))
	}
	return fmt.Errorf("%s: %d lines are not LoginIds (%s): lines %s%s", name, len(bad), want, strings.Join(nums, ", "), more)
}

// gatherLogins combines --logins and --login, validated and without
// duplicates (a LoginId must never have two sessions at once), in first-seen order.
func gatherLogins(file string, flags []string, stdin io.Reader) ([]string, error) {
	var ids []string
	if file != "" {
		fromFile, err := readLogins(file, stdin)
		if err != nil {
			return nil, err
		}
		if len(fromFile) == 0 {
			name := file
			if file == "-" {
				name = "standard input"
			}
			// An empty list is a mistake, never "sync every known login".
			return nil, usagef("nothing to sync: %s holds no LoginId", name)
		}
		ids = fromFile
	}
	for i, id := range flags {
		id = strings.TrimSpace(id)
		if !isLoginID(id) {
			return nil, usagef("--login #%d is not a LoginId (want a GUID like 5e115eac-1209-4f19-641c-08d6d484e2fe)", i+1)
		}
		ids = append(ids, strings.ToLower(id))
	}
	return dedupe(ids), nil
}

func dedupe(ids []string) []string {
	seen := make(map[string]struct{}, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if _, ok := seen[id]; ok {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, id)
	}
	return out
}
