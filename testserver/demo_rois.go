package testserver

// seedROIs puts ROIs of every shape type on a few demo images: a
// multi-channel z-stack with shapes on single planes, on all planes and on
// one channel of every plane, a time series, and an image whose ROI names
// repeat and need cleaning for a file name.
func seedROIs(d *Data) {
	f := func(v float64) *float64 { return &v }
	i := func(v int) *int { return &v }
	c := func(v uint32) *int32 { x := int32(v); return &x }
	s := func(v string) *string { return &v }

	m01 := imagesNamed(d, "mitosis_01.dv")[0] // 256×192, Z 9, C 3
	d.AddROI(m01, s("Nucleus"),
		Shape{Type: "Ellipse", X: f(100), Y: f(80), RadiusX: f(30), RadiusY: f(20), TheZ: i(4), TheT: i(0),
			StrokeColor: c(0xff0000ff), FillColor: c(0x00ff0040), StrokeWidth: f(2)},
		Shape{Type: "Ellipse", X: f(100.5), Y: f(80.25), RadiusX: f(28.5), RadiusY: f(18), TheZ: i(5), TheT: i(0),
			StrokeColor: c(0xff0000ff)})
	d.AddROI(m01, s("Cell outline"),
		Shape{Type: "Polygon", Points: s("60,40 180,45 200,150 70,160"), TheZ: i(4), TheC: i(1), TheT: i(0),
			StrokeColor: c(0x00ff00ff)})
	d.AddROI(m01, nil,
		Shape{Type: "Rectangle", X: f(10), Y: f(20), Width: f(50), Height: f(30),
			StrokeColor: c(0xffff00ff), Text: s("whole stack")})
	d.AddROI(m01, s("Spindle axis"),
		Shape{Type: "Line", X1: f(90), Y1: f(70), X2: f(140.5), Y2: f(95), TheZ: i(4), TheT: i(0)})
	d.AddROI(m01, s("Track"),
		Shape{Type: "Polyline", Points: s("5,5 20.5,30 40,10 60,35.25"), TheC: i(2)})
	d.AddROI(m01, s("Centrosome"),
		Shape{Type: "Point", X: f(120), Y: f(60), TheZ: i(3), TheC: i(0), TheT: i(0)},
		Shape{Type: "Point", X: f(130.5), Y: f(66.5), TheZ: i(3), TheC: i(0), TheT: i(0)})
	d.AddROI(m01, s("Label"),
		Shape{Type: "Label", X: f(15), Y: f(170), Text: s("Prophase ✓"), FontSize: f(12), TheZ: i(4), TheT: i(0),
			StrokeColor: c(0xffffffff)})
	d.AddROI(m01, s("Segmentation"),
		Shape{Type: "Mask", X: f(30), Y: f(30), Width: f(16), Height: f(12), TheZ: i(4), TheC: i(0), TheT: i(0)})

	mem := imagesNamed(d, "membrane.czi")[0] // Z 5, C 4, T 3
	for t := range 3 {
		d.AddROI(mem, s("Membrane patch"),
			Shape{Type: "Rectangle", X: f(float64(10 + 5*t)), Y: f(12), Width: f(40), Height: f(25),
				TheZ: i(2), TheC: i(3), TheT: i(t)})
	}
	stack := imagesNamed(d, "stack.tif")[0]
	d.AddROI(stack, s("a/b: region"), Shape{Type: "Rectangle", X: f(1), Y: f(2), Width: f(3), Height: f(4)})
	d.AddROI(stack, s("a/b: region"), Shape{Type: "Ellipse", X: f(64), Y: f(64), RadiusX: f(10), RadiusY: f(10)})
}
