package render

// bandResizer scales an image that arrives as bands of rows, top to bottom,
// to w × h, holding only the output and the rows of the few output lines
// still being summed: a pyramid level of 100 Mpx is resized without ever
// being whole in memory. Its result is exactly Resize's: the same taps,
// summed in the same order.
type bandResizer struct {
	srcW, srcH, w, h int
	xs               [][]tap
	into             [][]share // for each source row, the output rows it adds to
	lastOf           []int     // for each output row, the last source row it needs
	acc              map[int][]float32
	tmp              []float32
	dst              *Image
	next             int // the next source row expected
}

// share is a source row's part of one output row.
type share struct {
	y      int
	weight float32
}

func newBandResizer(srcW, srcH, w, h int) *bandResizer {
	r := &bandResizer{srcW: srcW, srcH: srcH, w: w, h: h, xs: weights(srcW, w),
		into: make([][]share, srcH), lastOf: make([]int, h), acc: map[int][]float32{},
		tmp: make([]float32, w*3), dst: NewImage(w, h)}
	for y, taps := range weights(srcH, h) {
		for _, t := range taps {
			r.into[t.index] = append(r.into[t.index], share{y, t.weight})
			r.lastOf[y] = t.index
		}
	}
	return r
}

// addRows takes the next band: whole rows of srcW pixels.
func (r *bandResizer) addRows(band *Image) {
	for y := 0; y < band.Height && r.next < r.srcH; y++ {
		r.addRow(band.Pix[y*band.Width*3 : (y+1)*band.Width*3])
	}
}

func (r *bandResizer) addRow(in []uint8) {
	j := r.next
	r.next++
	if len(r.into[j]) == 0 {
		return
	}
	out := r.tmp
	resizeRow(out, in, r.xs)
	for _, sh := range r.into[j] {
		acc, ok := r.acc[sh.y]
		if !ok {
			acc = make([]float32, r.w*3)
			r.acc[sh.y] = acc
		}
		for i, v := range out {
			acc[i] += v * sh.weight
		}
		if r.lastOf[sh.y] == j {
			roundInto(r.dst.Pix[sh.y*r.w*3:(sh.y+1)*r.w*3], acc)
			delete(r.acc, sh.y)
		}
	}
}

// result is the resized image, once every source row has been added.
func (r *bandResizer) result() (*Image, bool) {
	return r.dst, r.next == r.srcH
}
