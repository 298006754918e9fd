package cmd

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A form webhook that went through listen to a real handler is exported
// with postData.params beside text, in submission order and decoded, so
// HAR-to-code tools rebuild the form instead of an empty body (issue 11.10).
func TestExportHARFormPostCarriesParams(t *testing.T) {
	target := handlerURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<Response/>")
	}))
	dir := t.TempDir()
	storePath := filepath.Join(dir, "s.db")
	p := startListen(t, storePath, "--forward", target)
	body := "To=%2B15559870000&CallSid=CA1&Note=a+b%26c&To=second"
	req, _ := http.NewRequest("POST", p.local+"/voice", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, err := e2eClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	waitForRows(t, storePath, 1)

	har := filepath.Join(dir, "x.har")
	cmd := exec.Command(swhookBinary(t), "export", "--har", har, "--store", storePath)
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("export: %v: %s", err, out)
	}
	b, err := os.ReadFile(har)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Log struct {
			Entries []struct {
				Request struct {
					PostData struct {
						Params []struct{ Name, Value string }
						Text   string
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Log.Entries) != 1 {
		t.Fatalf("archive: %v, %d entries", err, len(doc.Log.Entries))
	}
	pd := doc.Log.Entries[0].Request.PostData
	want, _ := url.ParseQuery(body)
	got := url.Values{}
	var order []string
	for _, p := range pd.Params {
		got.Add(p.Name, p.Value)
		order = append(order, p.Name)
	}
	if pd.Text != body || !reflect.DeepEqual(got, want) || strings.Join(order, ",") != "To,CallSid,Note,To" {
		t.Fatalf("postData text %q params %v (order %v), want %v", pd.Text, got, order, want)
	}
}
