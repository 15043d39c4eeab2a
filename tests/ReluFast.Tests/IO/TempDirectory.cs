namespace ReluFast.Tests.IO;

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "relufast-io-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Files left in the folder (to check no partial output remains).</summary>
    public string[] Files() => Directory.GetFiles(Path).Select(System.IO.Path.GetFileName).ToArray()!;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

internal static class TestData
{
    public static double[] Doubles(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new double[n];
        for (int i = 0; i < n; i++) a[i] = rng.NextDouble() * 4 - 2 + (i % 7 == 0 ? 1e-300 * rng.NextDouble() : 0);
        return a;
    }

    public static float[] Floats(int n, int seed) => Doubles(n, seed).Select(v => (float)v).ToArray();

    /// <summary>Builds .npy bytes by hand from a header dictionary text and raw data (version 1.0, padded like NumPy).</summary>
    public static byte[] HandMadeNpy(string dict, ReadOnlySpan<byte> data, byte major = 1)
    {
        int prefix = major == 1 ? 10 : 12;
        int hlen = dict.Length + 1;
        int pad = (64 - (prefix + hlen) % 64) % 64;
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0 };
        int total = hlen + pad;
        if (major == 1) { bytes.Add((byte)total); bytes.Add((byte)(total >> 8)); }
        else { bytes.AddRange(BitConverter.GetBytes(total)); }
        bytes.AddRange(System.Text.Encoding.Latin1.GetBytes(dict));
        bytes.AddRange(Enumerable.Repeat((byte)' ', pad));
        bytes.Add((byte)'\n');
        bytes.AddRange(data.ToArray());
        return bytes.ToArray();
    }
}
