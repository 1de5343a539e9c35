package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteListing(t *testing.T) {
	l := Listing{
		{Name: "a", Columns: []string{"name", "n", "ms", "list"}, Rows: [][]any{
			{"x,y", 1, 1.5, []string{"p", "q"}},
			{"z|w", 2, nil, []string(nil)},
		}},
		{Name: "b", Columns: []string{"ok"}, Rows: [][]any{{true}}},
	}
	tests := []struct {
		f    Format
		want string
	}{
		{CSV, "name,n,ms,list\n\"x,y\",1,1.5,\"p,q\"\nz|w,2,,\n\nok\ntrue\n"},
		{Markdown, "## a\n\n| name |   n |  ms | list |\n| ---- | --: | --: | ---- |\n| x,y  |   1 | 1.5 | p, q |\n| z\\|w |   2 |     |      |\n\n## b\n\n| ok   |\n| ---- |\n| true |\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		require.NoError(t, WriteListing(&b, l, tt.f))
		assert.Equal(t, tt.want, b.String(), tt.f)
	}
	var b bytes.Buffer
	require.NoError(t, WriteListing(&b, l, JSON))
	var got map[string][]map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &got))
	assert.Equal(t, map[string][]map[string]any{
		"a": {
			{"name": "x,y", "n": 1.0, "ms": 1.5, "list": []any{"p", "q"}},
			{"name": "z|w", "n": 2.0, "ms": nil, "list": []any{}},
		},
		"b": {{"ok": true}},
	}, got)
	assert.Regexp(t, `^\{\n  "a": \[\n    \{\n      "name": "x,y",\n      "n": 1,`, b.String(), "keys in column order, indented")
	assert.ErrorIs(t, WriteListing(&b, l, Table), ErrUnknownFormat)
}
