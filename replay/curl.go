package replay

import (
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/export/curl"
)

// Curl is curl.Command for a stored request, which may have been recorded
// without its URL: one is then built from its Host, path and query with
// TargetURL's safeguards, so a malformed recorded path cannot move into the
// host, query or fragment.
func Curl(r exchange.Request) string {
	if r.URL == "" {
		host := r.Host
		if host == "" {
			host = "localhost"
		}
		var err error
		if r.URL, err = TargetURL("http://"+host, r); err != nil {
			r.URL = "http://localhost/"
		}
	}
	return curl.Command(r)
}
