import { BASE_PATH } from '@/lib/porthole';
import { PortholeWidget } from './porthole-widget';

export default function Home() {
  return (
    <main>
      <h1>Example Shop</h1>
      <p>The chat launcher sits in the bottom-right corner.</p>
      <PortholeWidget tokenUrl={`${BASE_PATH}/v1/session`} title="Questions? Ask us" />
    </main>
  );
}
