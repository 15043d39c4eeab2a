using ReluFast.IO;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Corpus;

/// <summary>
/// Mutation fuzzing seeded by the corpus: every file of <see cref="AdversarialCorpus"/> that a reader takes (.json,
/// .safetensors, .npz, .csv) is mutated (bytes flipped, inserted, deleted, cut) and read; a reader may return or throw
/// <see cref="ReluFastDataException"/> naming the file, nothing else. Seeded, so a failure replays. RELUFAST_FUZZ_CASES
/// (default 60 per file) runs it longer by hand.
/// </summary>
[Collection(CorpusCollection.Name)]
public class CorpusFuzzTests
{
    private static readonly int CasesPerFile =
        int.TryParse(Environment.GetEnvironmentVariable("RELUFAST_FUZZ_CASES"), out int n) && n > 0 ? n : 60;

    private static readonly Dictionary<string, Action<string>> Readers = new(StringComparer.OrdinalIgnoreCase)
    {
        [".json"] = p => NetworkJson.Read(p),
        [".safetensors"] = p => SafeTensorsReader.ReadNetwork(p),
        [".npz"] = p => NpzReader.ReadSamples<double>(p),
        [".csv"] = p => CsvSampleReader.Load<double>(p, "y"),
    };

    [Fact]
    public void MutatedCorpusFilesReadOrFailWithTheirName()
    {
        using var corpus = new TempDirectory();
        AdversarialCorpus.WriteTo(corpus.Path);
        var files = Directory.GetFiles(corpus.Path, "*", SearchOption.AllDirectories)
            .Where(f => Readers.ContainsKey(Path.GetExtension(f)) && new FileInfo(f).Length < (1 << 20))
            .Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(files);
        using var work = new TempDirectory();
        var rng = new Random(18);
        var failures = new List<string>();
        foreach (string file in files)
        {
            byte[] original = File.ReadAllBytes(file);
            string path = work.File("fuzz" + Path.GetExtension(file));
            for (int i = 0; i < CasesPerFile; i++)
            {
                File.WriteAllBytes(path, Mutate(original, rng));
                try
                {
                    Readers[Path.GetExtension(file)](path);
                }
                catch (ReluFastDataException e) when (e.FilePath is not null && e.FilePath.StartsWith(path, StringComparison.Ordinal))
                {
                }
                catch (Exception e)
                {
                    string keep = work.File($"failure-{failures.Count}{Path.GetExtension(file)}");
                    File.Copy(path, keep, overwrite: true);
                    failures.Add($"{Path.GetRelativePath(corpus.Path, file)} mutation {i}: {e.GetType().Name}: {e.Message}");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static byte[] Mutate(byte[] original, Random rng)
    {
        var bytes = new List<byte>(original);
        int edits = 1 + rng.Next(8);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int at = rng.Next(bytes.Count);
            switch (rng.Next(6))
            {
                case 0: bytes[at] = (byte)rng.Next(256); break;
                case 1: bytes[at] ^= (byte)(1 << rng.Next(8)); break;
                case 2: bytes[at] = (byte)"{}[](),:'\"0123456789-.eE \n\0"[rng.Next(27)]; break;
                case 3: bytes.RemoveAt(at); break;
                case 4: bytes.Insert(at, (byte)rng.Next(256)); break;
                default: if (rng.Next(4) == 0) bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }
        return bytes.ToArray();
    }
}
