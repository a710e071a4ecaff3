package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"

	"tsunagu/scripts/internal/loadclient"
)

// class is a kind of operation of the mix and its share in percent.
type class struct {
	name  string
	share int
	op    func(d *device, l *load) error
	chart bool // a write to the chart: for the clinical professions' devices only
}

// mix is 70 % reads, 20 % record writes, 10 % photo uploads.
var mix = []class{
	{name: "timeline", share: 18, op: (*device).timeline},
	{name: "pull", share: 20, op: (*device).pull},
	{name: "calendar", share: 8, op: (*device).calendar},
	{name: "search", share: 8, op: (*device).search},
	{name: "unread", share: 7, op: func(d *device, _ *load) error { return d.next().Get("/api/v1/me/unread") }},
	{name: "digest", share: 7, op: func(d *device, _ *load) error { return d.next().Get("/api/v1/me/digest") }},
	{name: "thumbnail", share: 2, op: (*device).thumbnail},
	{name: "write", share: 20, op: (*device).write, chart: true},
	{name: "photo", share: 10, op: (*device).photo, chart: true},
}

// device is one simulated iPad: a user's session, sent to the instances in
// turn (a load balancer without sticky sessions), its sync cursor and seq.
type device struct {
	clients []*loadclient.Client // one per instance, one cookie jar
	k       int
	id      string
	seq     int64
	cursor  string
	rng     *rand.Rand
	chart   bool // its user may write to the chart (not the care manager)
}

func newDevices(bases []string, n int) ([]*device, error) {
	devs := make([]*device, n)
	for i := range devs {
		c, err := loadclient.SignIn(bases[i%len(bases)], users[i%len(users)], loadclient.DemoPassword)
		if err != nil {
			return nil, err
		}
		d := &device{id: uuid.NewString(), k: i, rng: rand.New(rand.NewPCG(uint64(i), 42)), chart: users[i%len(users)] != "demo.caremanager"}
		for _, b := range bases {
			d.clients = append(d.clients, &loadclient.Client{Base: b, HTTP: c.HTTP})
		}
		if d.cursor, err = c.Cursor(); err != nil {
			return nil, err
		}
		devs[i] = d
	}
	return devs, nil
}

// next is the client of the instance the device's next request goes to.
func (d *device) next() *loadclient.Client {
	d.k++
	return d.clients[d.k%len(d.clients)]
}

func (d *device) patient(l *load) string { return l.fx.patients[d.rng.IntN(len(l.fx.patients))] }

func (d *device) timeline(l *load) error {
	return d.next().Get("/api/v1/patients/" + d.patient(l) + "/records?limit=100")
}

// pull is the incremental pull of a device in use: from its cursor to the
// head of the log.
func (d *device) pull(*load) error {
	_, cur, err := d.next().PullAll(d.cursor, nil)
	if err == nil {
		d.cursor = cur
	}
	return err
}

func (d *device) calendar(*load) error {
	now := time.Now().UTC().AddDate(0, d.rng.IntN(2), 0)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	return d.next().Get("/api/v1/me/visits?scope=team&from=" + first.Format("2006-01-02") + "&to=" + first.AddDate(0, 1, -1).Format("2006-01-02"))
}

func (d *device) search(l *load) error {
	q := "/api/v1/search/records?limit=20&q=" + url.QueryEscape(searchWords[d.rng.IntN(len(searchWords))])
	if d.rng.IntN(2) == 0 {
		q += "&patient_id=" + d.patient(l)
	}
	return d.next().Get(q)
}

func (d *device) write(l *load) error {
	d.seq++
	return d.next().PushOne(d.id, recordCreate(d.seq, d.patient(l), int(d.seq)))
}

// photo uploads a small JPEG on one instance and pushes the record that
// cites it through the next.
func (d *device) photo(l *load) error {
	pid, id := d.patient(l), uuid.Must(uuid.NewV7()).String()
	st, b, err := d.next().Raw("PUT", "/api/v1/attachments/"+id+"?patient_id="+pid, "image/jpeg", d.jpeg())
	if err != nil {
		return err
	}
	if st != 201 {
		return &loadclient.StatusError{Method: "PUT", Path: "/api/v1/attachments/{id}", Status: st, Body: b}
	}
	d.seq++
	m := recordCreate(d.seq, pid, int(d.seq))
	args := m["args"].(map[string]any)
	args["kind"], args["attachment_ids"] = "note", []string{id}
	delete(args, "vitals")
	if err := d.next().PushOne(d.id, m); err != nil {
		return err
	}
	l.addPhoto(id)
	return nil
}

// thumbnail opens a recent photo's thumbnail as the timeline shows it: the
// signed URL from one instance, the bytes from the next.
func (d *device) thumbnail(l *load) error {
	id := l.photo(d.rng)
	if id == "" {
		return d.next().Get("/api/v1/me/unread")
	}
	var u struct{ URL string }
	if err := d.next().JSON("GET", "/api/v1/attachments/"+id+"/thumbnail", nil, &u); err != nil {
		return err
	}
	return d.next().Get(u.URL)
}

// jpeg is a 320×240 photo of a few coloured blocks and some noise, a
// different one each time (about 10–20 KB).
func (d *device) jpeg() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	base := color.RGBA{uint8(d.rng.IntN(256)), uint8(d.rng.IntN(256)), uint8(d.rng.IntN(256)), 255}
	for y := 0; y < 240; y++ {
		for x := 0; x < 320; x++ {
			n := uint8(d.rng.IntN(24))
			img.Set(x, y, color.RGBA{base.R + n + uint8(x/40*16), base.G + n + uint8(y/30*16), base.B + n, 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	return b.Bytes()
}

// load is the running mix: the shared state of the devices and what it
// has measured.
type load struct {
	fx *fixture

	mu       sync.Mutex
	photos   []string             // recently cited photos (a ring)
	interval map[string][]float64 // latencies (ms) since the last sample
	all      map[string][]float64 // latencies (ms) of the whole run
	start    time.Time
	tm       timing
	base     map[string][]float64 // latencies (ms) in the baseline window
	final    map[string][]float64 // and in the final one
	done     int64
	errs     map[string]int // "class status" → count
	skipped  map[string]int // class → operations not sent: no device was free
	shown    int
}

func newLoad(fx *fixture, tm timing) *load {
	return &load{fx: fx, tm: tm, start: time.Now(), interval: map[string][]float64{}, all: map[string][]float64{}, base: map[string][]float64{},
		final: map[string][]float64{}, errs: map[string]int{}, skipped: map[string]int{}}
}

// window is the latencies of the window at (since the start) is in, or nil.
func (l *load) window(at time.Duration) map[string][]float64 {
	switch phase(at, l.tm) {
	case "baseline":
		return l.base
	case "final":
		return l.final
	}
	return nil
}

func (l *load) addPhoto(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.photos) < 200 {
		l.photos = append(l.photos, id)
	} else {
		l.photos[int(l.done)%len(l.photos)] = id
	}
}

func (l *load) photo(rng *rand.Rand) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.photos) == 0 {
		return ""
	}
	return l.photos[rng.IntN(len(l.photos))]
}

// record counts one finished operation.
func (l *load) record(c string, took time.Duration, err error) {
	ms := float64(took.Microseconds()) / 1000
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done++
	l.interval[c] = append(l.interval[c], ms)
	l.all[c] = append(l.all[c], ms)
	if w := l.window(time.Since(l.start)); w != nil {
		w[c] = append(w[c], ms)
	}
	if err != nil {
		l.fail(c, err)
	}
}

// fail counts an error of class c by its kind: the HTTP status, or
// "conn" (no answer), "bad-json" or "refused" (a push not applied).
func (l *load) fail(c string, err error) {
	kind := "refused"
	var se *loadclient.StatusError
	var ue *url.Error
	switch {
	case errors.As(err, &se):
		kind = fmt.Sprint(se.Status)
	case errors.As(err, &ue):
		kind = "conn"
	case errors.As(err, new(*json.SyntaxError)):
		kind = "bad-json"
	}
	l.errs[c+" "+kind]++
	if l.shown < 20 {
		l.shown++
		fmt.Fprintf(os.Stderr, "soak: %s %s: %v\n", time.Now().UTC().Format(time.TimeOnly), c, err)
	}
}

// drive sends operations of the mix to the devices at -rate a second
// until ctx ends, and waits for those under way. Reads go to any free
// device, writes to the chart to a free clinical one; when none is free
// the operation is skipped and counted (the servers fall behind the rate).
func (l *load) drive(ctx context.Context, devs []*device) {
	reads, writes := make(chan int, len(devs)), make(chan int, len(devs))
	var wg sync.WaitGroup
	for _, d := range devs {
		wg.Add(1)
		go func(d *device) {
			defer wg.Done()
			rs, ws := reads, writes
			if !d.chart {
				ws = nil
			}
			for rs != nil || ws != nil {
				var j int
				var ok bool
				select {
				case j, ok = <-rs:
					if !ok {
						rs = nil
						continue
					}
				case j, ok = <-ws:
					if !ok {
						ws = nil
						continue
					}
				}
				t := time.Now()
				err := mix[j].op(d, l)
				l.record(mix[j].name, time.Since(t), err)
			}
		}(d)
	}
	total := 0
	for _, c := range mix {
		total += c.share
	}
	rng := rand.New(rand.NewPCG(7, 7))
	tick := time.NewTicker(time.Duration(float64(time.Second) / *rate))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			close(reads)
			close(writes)
			wg.Wait()
			return
		case <-tick.C:
		}
		r, j := rng.IntN(total), 0
		for r >= mix[j].share {
			r -= mix[j].share
			j++
		}
		to := reads
		if mix[j].chart {
			to = writes
		}
		select {
		case to <- j:
		default:
			l.mu.Lock()
			l.skipped[mix[j].name]++
			l.mu.Unlock()
		}
	}
}
