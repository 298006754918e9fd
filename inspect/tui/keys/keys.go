// Package keys is the live view's one keymap: every binding is declared
// here, with its help text, so the footer, the `?` screen and Update can
// never disagree about what a key does.
package keys

import "charm.land/bubbles/v2/key"

// KeyMap holds every binding.
type KeyMap struct {
	Up, Down       key.Binding
	Top, Bottom    key.Binding
	PageUp, PageDn key.Binding
	Open, Back     key.Binding
	NextTab        key.Binding
	PrevTab        key.Binding
	Filter         key.Binding
	Replay         key.Binding
	ReplayResign   key.Binding
	Copy           key.Binding
	Pause          key.Binding
	// Timeline opens the selected webhook's call as a timeline; Calls
	// switches the list between rows and one line per call.
	Timeline key.Binding
	Calls    key.Binding
	Help     key.Binding
	Quit     key.Binding
	// Filter-input bindings.
	Apply, Cancel key.Binding
}

// Default is the keymap swhook ships with.
func Default() KeyMap {
	b := func(help, desc string, ks ...string) key.Binding {
		return key.NewBinding(key.WithKeys(ks...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Up:           b("↑/k", "up", "up", "k"),
		Down:         b("↓/j", "down", "down", "j"),
		Top:          b("g", "oldest", "g", "home"),
		Bottom:       b("G", "newest, follow", "G", "end"),
		PageUp:       b("pgup", "page up", "pgup", "ctrl+b"),
		PageDn:       b("pgdn", "page down", "pgdown", "ctrl+f", "space"),
		Open:         b("enter", "open", "enter"),
		Back:         b("esc", "back", "esc", "backspace"),
		NextTab:      b("tab", "next tab", "tab", "right", "l"),
		PrevTab:      b("shift+tab", "previous tab", "shift+tab", "left", "h"),
		Filter:       b("/", "filter", "/"),
		Replay:       b("r", "replay", "r"),
		ReplayResign: b("R", "re-sign", "R"),
		Copy:         b("c", "curl", "c"),
		Pause:        b("p", "pause", "p"),
		Timeline:     b("t", "call timeline", "t"),
		Calls:        b("C", "calls list", "C"),
		Help:         b("?", "help", "?"),
		Quit:         b("q", "quit", "q", "ctrl+c"),
		Apply:        b("enter", "apply", "enter"),
		Cancel:       b("esc", "cancel", "esc"),
	}
}

// Context is what the screen shows, which decides which keys the footer
// offers.
type Context int

const (
	InList Context = iota
	InDetail
	InFilter
	InHelp
	InCurl
	InTimeline
	InCalls
)

// Short is the footer's one line for a context.
func (k KeyMap) Short(c Context) []key.Binding {
	switch c {
	case InDetail:
		return []key.Binding{k.NextTab, k.Back, k.Replay, k.ReplayResign, k.Copy, k.Help, k.Quit}
	case InFilter:
		return []key.Binding{k.Apply, k.Cancel}
	case InHelp, InCurl:
		return []key.Binding{k.Back, k.Quit}
	case InTimeline:
		return []key.Binding{k.Open, k.Back, k.Help, k.Quit}
	case InCalls:
		return []key.Binding{k.Open, k.Calls, k.Help, k.Quit}
	}
	// No arrows here (everyone tries them) and p is offered on the status
	// line beside the follow state: 80 columns must show q.
	return []key.Binding{k.Open, k.Filter, k.Timeline, k.Replay, k.ReplayResign, k.Copy, k.Calls, k.Help, k.Quit}
}

// Full is the `?` screen, in columns.
func (k KeyMap) Full() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDn},
		{k.Open, k.Back, k.NextTab, k.PrevTab, k.Filter, k.Pause},
		{k.Replay, k.ReplayResign, k.Copy, k.Timeline, k.Calls, k.Help, k.Quit},
	}
}
