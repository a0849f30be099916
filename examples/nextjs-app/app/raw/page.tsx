import { RawChat } from './raw-chat';

export default function RawPage() {
  return (
    <main>
      <h1>Example Shop (the raw tag)</h1>
      <RawChat />
    </main>
  );
}
