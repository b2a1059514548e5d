package extract

import (
	"errors"
	"strings"
	"testing"
)

func TestReadCapped(t *testing.T) {
	tests := []struct {
		size, announced, limit int64
		tooLarge               bool
	}{
		{0, 0, 10, false},
		{10, 10, 10, false},
		{10, -1, 10, false}, // chunked: no length announced
		{11, -1, 10, true},
		{1000, 0, 10, true},
	}
	for _, tt := range tests {
		body := strings.Repeat("x", int(tt.size))
		got, err := readCapped(strings.NewReader(body), tt.announced, tt.limit)
		if tt.tooLarge {
			if !errors.Is(err, ErrBodyTooLarge) {
				t.Errorf("size %d, limit %d: err = %v, want ErrBodyTooLarge", tt.size, tt.limit, err)
			}
			continue
		}
		if err != nil || string(got) != body {
			t.Errorf("size %d, limit %d: got %d bytes, %v", tt.size, tt.limit, len(got), err)
		}
	}
}
