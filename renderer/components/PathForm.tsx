/** A path typed by hand (on the engine's machine), for when dropping or choosing a folder is not possible. */
import { useState } from 'react';

export function PathForm(props: {
  testId: string;
  placeholder: string;
  /** The submit button's label. */
  action: string;
  /** Called with the trimmed path (never empty); `clear` empties the field afterwards. */
  onPath(path: string): void;
  clear?: boolean;
}) {
  const [typed, setTyped] = useState('');
  return (
    <form
      className="path-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (typed.trim()) props.onPath(typed.trim());
        if (props.clear) setTyped('');
      }}
    >
      <input
        data-testid={props.testId}
        placeholder={props.placeholder}
        value={typed}
        onChange={(e) => setTyped(e.target.value)}
      />
      <button type="submit">{props.action}</button>
    </form>
  );
}
