//go:build browser

package reports

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/go-cmp/cmp"
)

// chromiumPath finds Debian's chromium (or $CHROMIUM).
func chromiumPath(t *testing.T) string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no chromium on PATH (apt-get install chromium, or set CHROMIUM)")
	return ""
}

// TestHTMLInBrowser loads the page in headless Chromium over the DevTools
// protocol (chromedp starts it with --remote-debugging-port and drives it
// through a websocket): no console error, a click on a column header sorts
// the rows, the model filter hides the other rows, and a screenshot is
// saved under $OUT (else the test's temp dir).
func TestHTMLInBrowser(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if _, err := WriteHTML(page, []string{"testdata/results"}, Options{Title: "Browser test"}); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("remote-debugging-port", "0"),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1300, 1800),
		remote.WebSocket,
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	var consoleErrs []string
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value))
				}
				consoleErrs = append(consoleErrs, string(ev.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			consoleErrs = append(consoleErrs, "exception: "+ev.ExceptionDetails.Text)
		}
	}); err != nil {
		t.Fatal(err)
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
	eval := func(js string, out any) {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[jsontext.Value](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		if err := json.Unmarshal(v, out); err != nil {
			t.Fatalf("%s: %v", js, err)
		}
	}
	setFilter := func(id, value string) {
		t.Helper()
		do(chromedp.SetValue(chromedp.CSS("#"+id), value))
		var ok bool
		eval(`document.getElementById("`+id+`").dispatchEvent(new Event("change"))`, &ok)
	}

	// The first table is the MLIR table: models x Belebele, XQuAD, Avg.
	const models = `Array.from(document.querySelectorAll("#t1 tbody tr")).filter(r => r.offsetParent !== null).map(r => r.cells[0].textContent)`
	var before, byXQuAD, byXQuADAsc, filtered []string
	var count string
	do(chromedp.Navigate("file://"+page), chromedp.WaitVisible(chromedp.CSS("#t1")))
	eval(models, &before)
	do(chromedp.Click(chromedp.CSS(`#t1 th[data-col="2"]`))) // XQuAD: numbers sort high to low first
	eval(models, &byXQuAD)
	do(chromedp.Click(chromedp.CSS(`#t1 th[data-col="2"]`)))
	eval(models, &byXQuADAsc)
	setFilter("f-model", "mimo-mini/mimo-lambda0.8")
	eval(models, &filtered)
	eval(`document.getElementById("f-count").textContent`, &count)
	if diff := cmp.Diff([]string{"mimo-mini/infonce", "mimo-mini/mimo-lambda0.2", "mimo-mini/mimo-lambda0.8", "mimo-mini/xlco-lambda1.0"}, before); diff != "" {
		t.Errorf("rows before sorting (-want +got):\n%s", diff)
	}
	// XQuAD: infonce 30, lambda0.2 75, lambda0.8 69, xlco 65.
	if diff := cmp.Diff([]string{"mimo-mini/mimo-lambda0.2", "mimo-mini/mimo-lambda0.8", "mimo-mini/xlco-lambda1.0", "mimo-mini/infonce"}, byXQuAD); diff != "" {
		t.Errorf("rows after one click on XQuAD (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"mimo-mini/infonce", "mimo-mini/xlco-lambda1.0", "mimo-mini/mimo-lambda0.8", "mimo-mini/mimo-lambda0.2"}, byXQuADAsc); diff != "" {
		t.Errorf("rows after a second click on XQuAD (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"mimo-mini/mimo-lambda0.8"}, filtered); diff != "" {
		t.Errorf("rows with the model filter (-want +got):\n%s", diff)
	}

	// Task filter: XQuAD only hides the Belebele column and Belebele's sections.
	var beleVisible, xquadVisible bool
	var sectionsHidden int
	setFilter("f-model", "")
	setFilter("f-task", "XQuADMLIR")
	eval(`document.querySelector('#t1 th[data-task="BelebeleMLIR"]').offsetParent !== null`, &beleVisible)
	eval(`document.querySelector('#t1 th[data-task="XQuADMLIR"]').offsetParent !== null`, &xquadVisible)
	eval(`document.querySelectorAll('h2[data-task="BelebeleMLIR"].hide-task').length`, &sectionsHidden)
	setFilter("f-task", "")
	setFilter("f-lang", "de")
	if beleVisible || !xquadVisible || sectionsHidden == 0 {
		t.Errorf("task filter XQuAD: Belebele column visible %v, XQuAD column visible %v, Belebele sections hidden %d", beleVisible, xquadVisible, sectionsHidden)
	}
	var langHeaders []string
	eval(`(() => { const h = Array.from(document.querySelectorAll("h2")).find(h => h.textContent.startsWith("XQuADMLIR: main score")); let el = h.nextElementSibling; while (el && !el.querySelector("table")) el = el.nextElementSibling; return Array.from(el.querySelectorAll("th")).filter(th => th.offsetParent !== null).map(th => th.textContent); })()`, &langHeaders)
	if diff := cmp.Diff([]string{"Model", "de"}, langHeaders); diff != "" {
		t.Errorf("query-language filter de (-want +got):\n%s", diff)
	}

	setFilter("f-lang", "")
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(80))
	if err != nil {
		t.Fatal(err)
	}
	outDir := os.Getenv("OUT")
	if outDir == "" {
		outDir = dir
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}
	shotPath := filepath.Join(outDir, "report-html.jpg")
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes); %s", shotPath, len(shot), count)
	if len(shot) < 10000 {
		t.Errorf("screenshot is %d bytes", len(shot))
	}
	if len(consoleErrs) > 0 {
		t.Errorf("console errors or warnings:\n%s", strings.Join(consoleErrs, "\n"))
	}
	if !strings.HasSuffix(count, " rows shown") {
		t.Errorf("row count %q", count)
	}
}
