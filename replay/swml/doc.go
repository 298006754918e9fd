// Package swml plays SWML documents the way SignalWire runs them, on top
// of the call driver (replay/call): the document fetch with the call
// object, vars, envs and params; every method a developer's document
// relies on; %{} substitution and ${} JavaScript with the limits SignalWire
// imposes.
package swml
