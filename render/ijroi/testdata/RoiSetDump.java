// RoiSetDump opens an ImageJ ROI set the way ImageJ's ROI Manager does
// (RoiManager.openZip: every ".roi" entry through ij.io.RoiDecoder, labelled
// by its entry name) and prints one tab-separated line per ROI, for
// render/ijroi's test. The ROI Manager itself is a window, which a headless
// JVM cannot open. Run: java -cp ij.jar RoiSetDump.java RoiSet.zip
import ij.gui.Line;
import ij.gui.Roi;
import ij.gui.TextRoi;
import ij.io.RoiDecoder;
import ij.process.FloatPolygon;
import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

public class RoiSetDump {
	public static void main(String[] args) throws Exception {
		ZipInputStream in = new ZipInputStream(new FileInputStream(args[0]));
		for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
			String label = e.getName();
			if (!label.endsWith(".roi"))
				continue;
			ByteArrayOutputStream out = new ByteArrayOutputStream();
			byte[] buf = new byte[8192];
			for (int n; (n = in.read(buf)) > 0; )
				out.write(buf, 0, n);
			Roi roi = new RoiDecoder(out.toByteArray(), label).getRoi();
			if (roi == null) {
				System.out.println(label + "\tnull");
				continue;
			}
			Rectangle2D b = roi.getFloatBounds();
			StringBuilder pts = new StringBuilder();
			if (roi instanceof Line) {
				Line l = (Line) roi;
				pts.append(l.x1d + "," + l.y1d + " " + l.x2d + "," + l.y2d);
			} else if (roi.getType() != Roi.RECTANGLE && roi.getType() != Roi.OVAL) {
				FloatPolygon p = roi.getFloatPolygon();
				for (int i = 0; i < p.npoints; i++)
					pts.append(i > 0 ? " " : "").append(p.xpoints[i] + "," + p.ypoints[i]);
			}
			String text = roi instanceof TextRoi ? ((TextRoi) roi).getText().trim() : "";
			System.out.println(String.join("\t",
				label.substring(0, label.length() - 4),
				roi.getClass().getSimpleName(),
				roi.getTypeAsString(),
				b.getX() + "," + b.getY() + "," + b.getWidth() + "," + b.getHeight(),
				roi.getCPosition() + "," + roi.getZPosition() + "," + roi.getTPosition(),
				String.valueOf(roi.getName()),
				hex(roi.getStrokeColor()),
				hex(roi.getFillColor()),
				String.valueOf(roi.getStrokeWidth()),
				pts.toString(),
				text));
		}
		in.close();
	}

	static String hex(Color c) {
		return c == null ? "none" : String.format("%08x", c.getRGB());
	}
}
