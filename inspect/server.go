package inspect

import (
	"io"
	"log"
	"net/http"
	"time"
)

// Server time limits: a sender that stalls (slowloris, a half-open
// connection) is cut off instead of holding a goroutine forever.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	MaxHeaderBytes    = 1 << 20
)

// NewServer wraps a pipeline handler in an http.Server with bounded header,
// body, answer and idle times. handlerTimeout and saveWait are the
// pipeline's own bounds, so the write deadline never cuts off an answer the
// pipeline is still allowed to be waiting for. errLog receives net/http's
// own complaints (malformed requests); nil discards them.
func NewServer(h http.Handler, handlerTimeout, saveWait time.Duration, errLog *log.Logger) *http.Server {
	if errLog == nil {
		errLog = log.New(io.Discard, "", 0)
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      ReadTimeout + handlerTimeout + saveWait + 30*time.Second,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          errLog,
	}
}
