using SkiaSharp;

namespace ReluFast.Cli.Reporting;

/// <summary>Puts several PNG images side by side in a grid on a white background, as one PNG.</summary>
internal static class PngComposer
{
    /// <summary>The PNG bytes of <paramref name="images"/> laid out in rows of <paramref name="columns"/>.</summary>
    public static byte[] Grid(IReadOnlyList<byte[]> images, int columns)
    {
        var bitmaps = images.Select(SKBitmap.Decode).ToArray();
        try
        {
            int cellWidth = bitmaps.Max(b => b.Width), cellHeight = bitmaps.Max(b => b.Height);
            int rows = (bitmaps.Length + columns - 1) / columns;
            int cols = Math.Min(columns, bitmaps.Length);
            using var surface = SKSurface.Create(new SKImageInfo(cellWidth * cols, cellHeight * rows));
            var canvas = surface.Canvas;
            canvas.Clear(SKColors.White);
            for (int i = 0; i < bitmaps.Length; i++)
                canvas.DrawBitmap(bitmaps[i], (i % columns) * cellWidth, (i / columns) * cellHeight);
            using var image = surface.Snapshot();
            using var data = image.Encode(SKEncodedImageFormat.Png, 100);
            return data.ToArray();
        }
        finally
        {
            foreach (var b in bitmaps) b.Dispose();
        }
    }
}
