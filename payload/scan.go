package payload

import (
	"errors"
	"fmt"
)

// scanner walks JSON text in place: it validates as strictly as
// encoding/json (RFC 8259, invalid UTF-8 tolerated) and hands out the byte
// ranges of values without copying them.
type scanner struct {
	buf   []byte
	pos   int
	depth int
}

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

var errSyntax = errors.New("syntax error")

func (s *scanner) fail(what string) error {
	return fmt.Errorf("%w at byte %d: %s", errSyntax, s.pos, what)
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next significant byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.skipSpace()
	if s.pos < len(s.buf) {
		return s.buf[s.pos]
	}
	return 0
}

// value skips one value and returns its raw text.
func (s *scanner) value() ([]byte, error) {
	s.skipSpace()
	start := s.pos
	if err := s.skip(); err != nil {
		return nil, err
	}
	return s.buf[start:s.pos:s.pos], nil
}

// skip validates and skips the value at s.pos (no leading space).
func (s *scanner) skip() error {
	if s.pos >= len(s.buf) {
		return s.fail("unexpected end")
	}
	switch c := s.buf[s.pos]; {
	case c == '{':
		return s.object(func([]byte, bool) error { return s.skipSpaceAnd() })
	case c == '[':
		return s.array(func(int) error { return s.skipSpaceAnd() })
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.fail("unexpected character")
}

func (s *scanner) skipSpaceAnd() error {
	s.skipSpace()
	return s.skip()
}

func (s *scanner) literal(word string) error {
	if len(s.buf)-s.pos < len(word) || string(s.buf[s.pos:s.pos+len(word)]) != word {
		return s.fail("invalid literal")
	}
	s.pos += len(word)
	return nil
}

func (s *scanner) number() error {
	b, i := s.buf, s.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		s.pos = i
		return s.fail("invalid number")
	}
	if i < len(b) && b[i] == '.' {
		d := skipDigits(b, i+1)
		if d == i+1 {
			s.pos = d
			return s.fail("invalid number")
		}
		i = d
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := skipDigits(b, i)
		if d == i {
			s.pos = d
			return s.fail("invalid number")
		}
		i = d
	}
	s.pos = i
	return nil
}

// skipDigits returns the index of the first non-digit of b at or after i.
func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// str skips a string and reports whether it holds escapes. The quotes are
// part of the skipped text.
func (s *scanner) str() (escaped bool, err error) {
	b, i := s.buf, s.pos+1
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(b) {
				s.pos = i
				return false, s.fail("unterminated string")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					s.pos = i
					return false, s.fail("invalid escape")
				}
				i += 6
			default:
				s.pos = i
				return false, s.fail("invalid escape")
			}
		case c < 0x20:
			s.pos = i
			return false, s.fail("control character in string")
		default:
			i++
		}
	}
	s.pos = i
	return false, s.fail("unterminated string")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// object walks an object at s.pos, calling member with each key's raw text
// (quotes included) and whether it holds escapes, with s.pos just after the
// colon. member must consume exactly the member's value.
func (s *scanner) object(member func(key []byte, escaped bool) error) error {
	if s.depth++; s.depth > maxDepth {
		return s.fail("nesting too deep")
	}
	s.pos++ // '{'
	if s.peek() == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.fail("expected a member name")
		}
		start := s.pos
		escaped, err := s.str()
		if err != nil {
			return err
		}
		key := s.buf[start:s.pos]
		if s.peek() != ':' {
			return s.fail("expected ':'")
		}
		s.pos++
		if err := member(key, escaped); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			s.depth--
			return nil
		default:
			return s.fail("expected ',' or '}'")
		}
	}
}

// array walks an array at s.pos, calling elem with each index and s.pos
// before the element. elem must consume exactly the element.
func (s *scanner) array(elem func(i int) error) error {
	if s.depth++; s.depth > maxDepth {
		return s.fail("nesting too deep")
	}
	s.pos++ // '['
	if s.peek() == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for i := 0; ; i++ {
		s.skipSpace()
		if err := elem(i); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.depth--
			return nil
		default:
			return s.fail("expected ',' or ']'")
		}
	}
}
