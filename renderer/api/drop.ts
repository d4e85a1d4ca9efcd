/** Collects dropped files and folders with their relative paths (browser File System entries API). */

export interface DroppedFile {
  path: string;
  file: File;
}

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

async function walk(entry: FileSystemEntry, prefix: string, out: DroppedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) =>
      (entry as FileSystemFileEntry).file(resolve, reject),
    );
    out.push({ path: `${prefix}${entry.name}`, file });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns at most 100 entries per call: loop until it returns none.
  for (let batch = await readEntries(reader); batch.length > 0; batch = await readEntries(reader))
    for (const child of batch) await walk(child, `${prefix}${entry.name}/`, out);
}

/**
 * Files of a drop. A single dropped folder becomes the dataset root itself (its name is dropped from
 * the paths), so imagesTr/ and labelsTr/ end up at the top of the upload folder.
 */
export async function collectDrop(items: DataTransferItemList): Promise<DroppedFile[]> {
  const entries = [...items].map((i) => i.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  const out: DroppedFile[] = [];
  if (entries.length === 1 && entries[0].isDirectory) {
    const reader = (entries[0] as FileSystemDirectoryEntry).createReader();
    for (let batch = await readEntries(reader); batch.length > 0; batch = await readEntries(reader))
      for (const child of batch) await walk(child, '', out);
    return out;
  }
  for (const e of entries) await walk(e, '', out);
  return out;
}

/** Files from an <input type=file webkitdirectory> choice, paths relative to the chosen folder. */
export function collectInput(files: FileList): DroppedFile[] {
  return [...files].map((file) => {
    const rel = file.webkitRelativePath || file.name;
    const parts = rel.split('/');
    return { path: parts.length > 1 ? parts.slice(1).join('/') : rel, file };
  });
}
