//go:build !unix

package store

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
