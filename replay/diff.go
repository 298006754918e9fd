package replay

import (
	"strings"

	"github.com/swhook/swhook/inspect/termsafe"
)

// maxDiffLines bounds the line diff: beyond it the quadratic comparison is
// not worth it and a one-line summary says more.
const maxDiffLines = 400

// LineDiff returns a compact, terminal-safe line diff of two bodies: lines
// only in a prefixed "- ", lines only in b "+ ", unchanged lines left out.
// Empty when the bodies are equal.
func LineDiff(a, b []byte) []string {
	if string(a) == string(b) {
		return nil
	}
	al, bl := splitLines(a), splitLines(b)
	if len(al) > maxDiffLines || len(bl) > maxDiffLines {
		return []string{"  (bodies differ; too long to compare line by line)"}
	}
	// Longest common subsequence, then walk it.
	n, m := len(al), len(bl)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if al[i] == bl[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && al[i] == bl[j]:
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "- "+termsafe.String(al[i]))
			i++
		default:
			out = append(out, "+ "+termsafe.String(bl[j]))
			j++
		}
	}
	return out
}

func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	s := strings.TrimSuffix(string(b), "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}
