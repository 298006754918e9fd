// Package list is the live view's table of exchanges: one row each, oldest
// at the top, newest at the bottom, following new rows until the user moves.
// It keeps every summary it is given (a summary is a few hundred bytes, so
// 100 000 fit comfortably) but draws only the rows on screen, so a large
// store costs memory, not time.
package list

import (
	"sort"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/tui/filter"
)

// Model is the table's state. The zero value is an empty, following list.
type Model struct {
	rows    []*exchange.Exchange // ascending ID
	visible []int                // indices into rows that pass the filter; nil = all
	filter  filter.Filter

	cursor int // index into the visible rows
	offset int // first visible row drawn
	width  int
	height int // rows available for data (the column header is extra)

	paused   bool // the user moved away or pressed p: do not follow
	newCount int  // rows that arrived while paused
}

// New returns an empty list that follows new rows.
func New() Model { return Model{} }

// SetSize gives the list its box: width columns, height lines including the
// column header.
func (m *Model) SetSize(width, height int) {
	m.width = width
	m.height = max(height-1, 1)
	m.clamp()
}

// Len is how many rows pass the filter.
func (m *Model) Len() int {
	if m.visible == nil && m.filter.Empty() {
		return len(m.rows)
	}
	return len(m.visible)
}

// Total is how many rows the list holds, filtered or not.
func (m *Model) Total() int { return len(m.rows) }

func (m *Model) at(i int) *exchange.Exchange {
	if m.filter.Empty() {
		return m.rows[i]
	}
	return m.rows[m.visible[i]]
}

// Following says whether the cursor sticks to the newest row.
func (m *Model) Following() bool { return !m.paused }

// NewCount is how many rows arrived since the user stopped following.
func (m *Model) NewCount() int { return m.newCount }

// Selected is the exchange under the cursor, nil when the list is empty.
func (m *Model) Selected() *exchange.Exchange {
	if m.Len() == 0 {
		return nil
	}
	return m.at(m.cursor)
}

// Cursor is the cursor's position among the visible rows.
func (m *Model) Cursor() int { return m.cursor }

// OldestID and NewestID bound what is loaded (0 when empty), so the caller
// knows where to page back from and where a gap in the feed starts.
func (m *Model) OldestID() int64 {
	if len(m.rows) == 0 {
		return 0
	}
	return m.rows[0].ID
}

// NewestID is the highest ID held.
func (m *Model) NewestID() int64 {
	if len(m.rows) == 0 {
		return 0
	}
	return m.rows[len(m.rows)-1].ID
}

// Has says whether id is already held.
func (m *Model) Has(id int64) bool {
	i := m.search(id)
	return i < len(m.rows) && m.rows[i].ID == id
}

func (m *Model) search(id int64) int {
	return sort.Search(len(m.rows), func(i int) bool { return m.rows[i].ID >= id })
}

// Insert adds exchanges (any order) and returns how many were new. An ID
// already held is replaced, so a row can be refreshed. Rows newer than the
// newest held count as new arrivals; older ones (paging back, catching up)
// do not.
func (m *Model) Insert(xs ...*exchange.Exchange) int {
	if len(xs) == 0 {
		return 0
	}
	var selID int64
	if s := m.Selected(); s != nil {
		selID = s.ID
	}
	wasEmpty := m.Len() == 0
	added, arrivals := 0, 0
	appendOnly := true
	for _, x := range xs {
		if x == nil {
			continue
		}
		n := len(m.rows)
		switch {
		case n == 0 || x.ID > m.rows[n-1].ID:
			m.rows = append(m.rows, x)
			added++
			arrivals++
			if m.filter.Empty() || m.filter.Match(x) {
				if !m.filter.Empty() {
					m.visible = append(m.visible, n)
				}
				if m.paused {
					m.newCount++
				}
			}
		default:
			i := m.search(x.ID)
			if i < n && m.rows[i].ID == x.ID {
				m.rows[i] = x
				appendOnly = false
				continue
			}
			m.rows = append(m.rows, nil)
			copy(m.rows[i+1:], m.rows[i:])
			m.rows[i] = x
			added++
			appendOnly = false
		}
	}
	if !appendOnly {
		m.refilter()
	}
	switch {
	case !m.paused || wasEmpty:
		m.cursor = max(m.Len()-1, 0)
	case selID != 0:
		m.cursor = m.indexOf(selID)
	}
	m.clamp()
	return added
}

// indexOf finds id among the visible rows (or the nearest older one).
func (m *Model) indexOf(id int64) int {
	n := m.Len()
	i := sort.Search(n, func(i int) bool { return m.at(i).ID >= id })
	if i >= n {
		return max(n-1, 0)
	}
	return i
}

func (m *Model) refilter() {
	if m.filter.Empty() {
		m.visible = nil
		return
	}
	m.visible = m.visible[:0]
	for i, x := range m.rows {
		if m.filter.Match(x) {
			m.visible = append(m.visible, i)
		}
	}
}

// SetFilter shows only the rows f matches, keeping the cursor on the same
// exchange when it still shows.
func (m *Model) SetFilter(f filter.Filter) {
	var selID int64
	if s := m.Selected(); s != nil {
		selID = s.ID
	}
	m.filter = f
	m.visible = nil
	if !f.Empty() {
		m.visible = make([]int, 0, 64)
	}
	m.refilter()
	if !m.paused || selID == 0 {
		m.cursor = max(m.Len()-1, 0)
	} else {
		m.cursor = m.indexOf(selID)
	}
	m.clamp()
}

// Filter is the filter in force.
func (m *Model) Filter() filter.Filter { return m.filter }

// Move moves the cursor by delta rows. Moving stops following; moving onto
// the newest row resumes it, as in a log pager.
func (m *Model) Move(delta int) {
	if m.Len() == 0 {
		return
	}
	m.cursor += delta
	m.clamp()
	m.paused = m.cursor < m.Len()-1
	if !m.paused {
		m.newCount = 0
	}
}

// Page moves by a screenful.
func (m *Model) Page(dir int) { m.Move(dir * m.height) }

// Top goes to the oldest loaded row and stops following.
func (m *Model) Top() {
	m.cursor = 0
	m.paused = m.Len() > 1
	m.clamp()
}

// Bottom goes to the newest row and follows again.
func (m *Model) Bottom() {
	m.cursor = max(m.Len()-1, 0)
	m.paused = false
	m.newCount = 0
	m.clamp()
}

// TogglePause stops or resumes following without moving, for reading while
// traffic flows.
func (m *Model) TogglePause() {
	if m.paused {
		m.Bottom()
		return
	}
	m.paused = true
}

// AtTop says the cursor is on the oldest loaded row: time to page back.
func (m *Model) AtTop() bool { return m.cursor == 0 }

func (m *Model) clamp() {
	n := m.Len()
	m.cursor = min(max(m.cursor, 0), max(n-1, 0))
	h := max(m.height, 1)
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+h {
		m.offset = m.cursor - h + 1
	}
	m.offset = min(m.offset, max(n-h, 0))
	m.offset = max(m.offset, 0)
}

// DropBelow removes the rows with IDs below id — rows the store no longer
// has (pruned by --keep, or cleared) — keeping the cursor on the same
// exchange when it is still held. It returns how many went.
func (m *Model) DropBelow(id int64) int {
	n := m.search(id)
	if n == 0 {
		return 0
	}
	var selID int64
	if s := m.Selected(); s != nil {
		selID = s.ID
	}
	m.rows = append(m.rows[:0:0], m.rows[n:]...)
	m.refilter()
	switch {
	case !m.paused || selID == 0:
		m.cursor = max(m.Len()-1, 0)
	default:
		m.cursor = m.indexOf(selID)
	}
	m.newCount = min(m.newCount, m.Len())
	m.clamp()
	return n
}
