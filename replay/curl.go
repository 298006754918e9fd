package replay

import (
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/export/curl"
)

// Curl is curl.ForExchange for a stored exchange, whose request may have
// been recorded without its URL: one is then built from its Host, path and
// query with TargetURL's safeguards, so a malformed recorded path cannot
// move into the host, query or fragment.
func Curl(x *exchange.Exchange) string {
	r := x.Request
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
	c := *x
	c.Request = r
	return curl.ForExchange(&c)
}
