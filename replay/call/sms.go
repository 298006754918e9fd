package call

// Segments is how many SMS segments a body takes, as SignalWire counts
// them for NumSegments (cXML) and message.segments (SWML): 160 GSM
// characters in one, 153 each when split; 70 and 67 when it needs UCS-2.
func Segments(body string) int {
	n, ascii := 0, true
	for _, r := range body {
		n++
		if r > 127 {
			ascii = false
		}
	}
	one, each := 160, 153
	if !ascii {
		one, each = 70, 67
	}
	if n <= one {
		return 1
	}
	return (n + each - 1) / each
}
