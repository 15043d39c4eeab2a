namespace ReluFast.Cli.Infrastructure;

/// <summary>Writes a file under a temporary name beside it and moves it into place only when complete: a failed or cancelled write leaves nothing.</summary>
internal static class AtomicOutput
{
    /// <summary>Writes <paramref name="path"/> (its folder created if needed) through <paramref name="write"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
