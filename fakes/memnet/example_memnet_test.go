package memnet_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/chaosrun/chaosrun/fakes/memnet"
)

// An HTTP server and client over the in-memory network. Inside a
// testing/synctest bubble the same code runs on the bubble's clock.
func ExampleNetwork_Transport() {
	n := memnet.New()
	l, _ := n.Listen("tool:80")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from "+r.Host)
	})}
	go srv.Serve(l)
	defer srv.Close()
	tr := n.Transport()
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://tool/")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(string(b))
	// Output: hello from tool
}
