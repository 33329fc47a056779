package api

import "testing"

func TestBadText(t *testing.T) {
	for _, row := range []struct {
		name, in string
		bad      bool
	}{
		{"Empty", "", false},
		{"Chinese", "井盖丢失", false},
		{"LineBreaksAndTabs", "第一行\n第二行\r\n\t缩进", false},
		{"NUL", "\x00", true},
		{"Bell", "a\x07", true},
		{"Escape", "\x1b[31m", true},
		{"DEL", "\x7f", true},
		{"C1NextLine", "\u0085", true},
		{"InvalidUTF8", "\xff", true},
	} {
		t.Run(row.name, func(t *testing.T) {
			zh, en := badText(row.in)
			if (zh != "") != row.bad || (en != "") != row.bad {
				t.Errorf("badText(%q) = %q, %q; want bad=%v", row.in, zh, en, row.bad)
			}
		})
	}
}
