// A server component: it renders the client component, and the server sends the bare
// <porthole-chat> tag, which the browser upgrades once the element is defined.
import { Chat } from './chat';

export default function Home() {
  return (
    <main>
      <h1>Example Shop</h1>
      <p>The chat launcher sits in the bottom-right corner.</p>
      <Chat />
    </main>
  );
}
