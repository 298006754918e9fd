// Package theme holds every style the live view draws with, in one place, so
// a colour or an attribute is chosen once and the components stay about
// layout. Each meaning also carries a symbol or a word, so nothing depends on
// colour alone: NO_COLOR terminals and colour-blind readers see the same
// information.
package theme

import (
	"charm.land/lipgloss/v2"
)

// Styles is the palette the components draw with.
type Styles struct {
	Title     lipgloss.Style // the public URL: the first thing a developer needs
	Label     lipgloss.Style
	Value     lipgloss.Style
	Dim       lipgloss.Style
	Warn      lipgloss.Style // loud lines: URL changed, tunnel down
	Good      lipgloss.Style
	Bad       lipgloss.Style
	Info      lipgloss.Style
	Rule      lipgloss.Style
	ColHeader lipgloss.Style
	Selected  lipgloss.Style // the cursor row
	TabActive lipgloss.Style
	TabIdle   lipgloss.Style
	Section   lipgloss.Style // headings inside the detail pane
	HelpKey   lipgloss.Style
	HelpDesc  lipgloss.Style

	SigValid    lipgloss.Style
	SigInvalid  lipgloss.Style
	SigMissing  lipgloss.Style
	SigNoKey    lipgloss.Style
	Status2xx   lipgloss.Style
	Status3xx   lipgloss.Style
	Status4xx   lipgloss.Style
	Status5xx   lipgloss.Style
	StatusError lipgloss.Style
	Replay      lipgloss.Style // rows swhook sent itself (replay, trigger)
}

// Default is the colour palette; the renderer downsamples it to what the
// terminal supports, and drops colour entirely under NO_COLOR (the symbols
// and Reverse/Bold attributes remain).
func Default() Styles {
	green := lipgloss.Color("#3fb950")
	red := lipgloss.Color("#f85149")
	yellow := lipgloss.Color("#d29922")
	blue := lipgloss.Color("#58a6ff")
	grey := lipgloss.Color("#8b949e")
	magenta := lipgloss.Color("#bc8cff")
	s := lipgloss.NewStyle
	return Styles{
		Title:     s().Bold(true).Foreground(blue).Underline(true),
		Label:     s().Foreground(grey),
		Value:     s().Bold(true),
		Dim:       s().Foreground(grey),
		Warn:      s().Bold(true).Foreground(lipgloss.Color("#000000")).Background(yellow),
		Good:      s().Foreground(green),
		Bad:       s().Bold(true).Foreground(red),
		Info:      s().Foreground(blue),
		Rule:      s().Foreground(lipgloss.Color("#30363d")),
		ColHeader: s().Bold(true).Foreground(grey),
		Selected:  s().Reverse(true),
		TabActive: s().Bold(true).Reverse(true),
		TabIdle:   s().Foreground(grey),
		Section:   s().Bold(true).Foreground(blue),
		HelpKey:   s().Bold(true),
		HelpDesc:  s().Foreground(grey),

		SigValid:    s().Foreground(green),
		SigInvalid:  s().Bold(true).Foreground(red),
		SigMissing:  s().Foreground(yellow),
		SigNoKey:    s().Foreground(grey),
		Status2xx:   s().Foreground(green),
		Status3xx:   s().Foreground(blue),
		Status4xx:   s().Foreground(yellow),
		Status5xx:   s().Bold(true).Foreground(red),
		StatusError: s().Bold(true).Foreground(red),
		Replay:      s().Foreground(magenta),
	}
}

// Plain draws nothing but text. Golden files use it so they read as the
// screen reads and stay stable across terminals; it is also a fair picture
// of what a NO_COLOR user gets.
func Plain() Styles {
	p := lipgloss.NewStyle()
	return Styles{
		Title: p, Label: p, Value: p, Dim: p, Warn: p, Good: p, Bad: p, Info: p,
		Rule: p, ColHeader: p, Selected: p, TabActive: p, TabIdle: p, Section: p,
		HelpKey: p, HelpDesc: p, SigValid: p, SigInvalid: p, SigMissing: p,
		SigNoKey: p, Status2xx: p, Status3xx: p, Status4xx: p, Status5xx: p,
		StatusError: p, Replay: p,
	}
}
