// Package render holds OMERO's rendering rules and the image bytes omerofs
// serves; it imports nothing else of omerofs.
//
//   - Settings, Channel and the webgateway query language (query.go): an
//     image's rendering settings, read from imgData and written as the
//     c=, maps=, m=, p=, ia= parameters of render_image (docs/rendering.md).
//   - Engine: a short-lived rendering engine for one image, over a Source
//     (wrappers adapts the gateway to it). It renders the default plane at
//     an exact size, whole or, for pyramid images, tile by tile from the
//     smallest sufficient level (tiles.go), and resizes by area averaging.
//   - TargetSize: the dimensions an image is shown at (--max-render-size).
//   - The PNG writer (png.go): stored, uncompressed deflate blocks, so the
//     length of a file (PNGSize) is known from its dimensions before
//     anything is rendered; PNGWithText adds tEXt chunks.
//   - RenderPNG: the whole path from an image to its file's bytes.
//   - Render: the rules themselves applied to raw pixel values, which the
//     test server uses to stand in for OMERO.
package render
