using System.Text;
using ReluFast.IO;
using ReluFast.Model;

namespace ReluFast.Tests.IO;

/// <summary>
/// Mutation fuzzing of every reader: valid files with random bytes flipped, inserted, deleted or cut
/// off must either read or fail with a ReluFastDataException naming the file — never another
/// exception, a hang or a crash. Seeded, so a failure replays.
/// </summary>
public class ReaderFuzzTests
{
    // A bounded run by default; set RELUFAST_FUZZ_CASES (e.g. 100000) for a long run on demand.
    private static readonly int Cases =
        int.TryParse(Environment.GetEnvironmentVariable("RELUFAST_FUZZ_CASES"), out int n) && n > 0 ? n : 400;

    private static byte[] Mutate(byte[] original, Random rng)
    {
        var bytes = new List<byte>(original);
        int edits = 1 + rng.Next(4);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = rng.Next(bytes.Count);
            switch (rng.Next(5))
            {
                case 0: bytes[at] = (byte)rng.Next(256); break;
                case 1: bytes[at] = (byte)"{}[](),:'\"0123456789-.eE \n"[rng.Next(26)]; break;
                case 2: bytes.RemoveAt(at); break;
                case 3: bytes.Insert(at, (byte)rng.Next(256)); break;
                default: bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }
        return bytes.ToArray();
    }

    private static void Fuzz(byte[] valid, string name, Action<string> read, int seed)
    {
        using var dir = new TempDirectory();
        string path = dir.File(name);
        var rng = new Random(seed);
        int failures = 0;
        for (int i = 0; i < Cases; i++)
        {
            File.WriteAllBytes(path, Mutate(valid, rng));
            try
            {
                read(path);
            }
            catch (ReluFastDataException e)
            {
                Assert.NotNull(e.FilePath);
                Assert.StartsWith(path, e.FilePath);
                failures++;
            }
        }
        Assert.True(failures > Cases / 10, $"only {failures} of {Cases} mutations were rejected: the fuzzer is not reaching the checks");
    }

    [Fact]
    public void NpyReaders()
    {
        using var dir = new TempDirectory();
        string path = dir.File("x.npy");
        NpyWriter.Write<double>(path, TestData.Doubles(12, 1), [4, 3], NpyDType.Float32, fortranOrder: true);
        Fuzz(File.ReadAllBytes(path), "x.npy", p =>
        {
            NpyReader.ReadDouble(p);
            using var r = NpyFileReader.Open(p);
            var buffer = new double[r.Columns * Math.Min(r.Rows, 2)];
            r.ReadRows<double>(0, buffer);
            r.FindNonFinite();
        }, 1);
    }

    [Fact]
    public void NpzArchiveReader()
    {
        using var dir = new TempDirectory();
        string path = dir.File("s.npz");
        NpzWriter.WriteSamples<double>(path, TestData.Doubles(12, 1), TestData.Doubles(4, 2), 4, 3);
        Fuzz(File.ReadAllBytes(path), "s.npz", p => ReluFast.IO.NpzReader.ReadSamples<double>(p), 2);
    }

    [Fact]
    public void NetworkJsonReader()
    {
        var net = new ReluNetwork(3, [1, -2], [1, 0, 0, 0.5, 0.5, 0.7], [0.1, -0.2], 0.5, [1, 2, 3]);
        byte[] valid = Encoding.UTF8.GetBytes(NetworkJson.ToJson(net, indented: false));
        Fuzz(valid, "n.json", p => NetworkJson.Read(p), 3);
    }

    [Fact]
    public void SafeTensorsFileReader()
    {
        var net = new ReluNetwork(3, [1, -2], [1, 0, 0, 0.5, 0.5, 0.7], [0.1, -0.2], 0.5, [1, 2, 3]);
        using var ms = new MemoryStream();
        SafeTensorsWriter.Write(net, ms);
        Fuzz(ms.ToArray(), "m.safetensors", p => SafeTensorsReader.ReadNetwork(p), 4);
    }

    [Fact]
    public void CsvReader()
    {
        byte[] valid = Encoding.UTF8.GetBytes("x0,x1,y\n1,2,3\n4.5,-6,7e-1\n\"8\",9,10\n");
        Fuzz(valid, "d.csv", p => CsvSampleReader.Load<double>(p, "y"), 5);
    }

    [Fact]
    public void DeeplyNestedNpyHeaderIsAnErrorNotAStackOverflow()
    {
        string dict = "{'descr': " + new string('(', 20000) + "}";
        var bytes = TestData.HandMadeNpy(dict, [], major: 2);
        var e = Assert.Throws<ReluFastDataException>(() => NpyHeader.Parse(bytes, "deep.npy"));
        Assert.Contains("nested", e.Message);
    }
}
