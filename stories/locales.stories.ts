import type { Meta } from '@storybook/web-components-vite';
import { names, type ChatArgs, type ChatContext, type Scenario } from './support/fixture.js';
import { mountChat } from './support/fixture.js';
import { chatMeta, chatStory, type ChatStory } from './support/meta.js';

// The built-in locales beyond English, French and German (docs/api.md, "Locales and texts"):
// Arabic and Hebrew are right to left (the widget's content gets dir="rtl" and its layout mirrors),
// and the `strings` property overrides any text.
export default {
  title: 'Locales',
  ...chatMeta,
} satisfies Meta<ChatArgs>;

/** A short conversation in the story's language, and the agent typing. */
const conversation = (history: Array<{ text: string; userId: string }>): Scenario => ({
  transport: { history, names },
  run: async (c: ChatContext) => {
    await c.openAndLoad();
    c.server.agentTyping();
    c.every(4000, () => c.server.agentTyping());
  },
});

/** Arabic on an Arabic page: right to left, the visitor's messages on the left, the team's on the right. */
export const Arabic = chatStory(
  conversation([
    { text: 'مرحبًا 👋 كيف يمكننا مساعدتك؟', userId: 'agent' },
    { text: 'أين يمكنني متابعة طلبي؟', userId: 'visitor' },
    { text: 'على https://example.com/orders — أو أرسل لي رقم الطلب وسأتحقق منه.', userId: 'agent' },
  ]),
  { locale: 'ar', dir: 'rtl' },
);

/** Hebrew on a Hebrew page: right to left, mixed with a Latin order number and a link. */
export const Hebrew = chatStory(
  conversation([
    { text: 'שלום 👋 איך אפשר לעזור?', userId: 'agent' },
    { text: 'איפה אפשר לראות את מצב ההזמנה NW-1042?', userId: 'visitor' },
    { text: 'בכתובת https://example.com/orders — או שלחו לי את המספר ואבדוק.', userId: 'agent' },
  ]),
  { locale: 'he', dir: 'rtl' },
);

/** Arabic on an English (left-to-right) page: the widget's content stays right to left. */
export const ArabicOnEnglishPage = chatStory(
  conversation([
    { text: 'مرحبًا 👋 كيف يمكننا مساعدتك؟', userId: 'agent' },
    { text: 'Hello, do you speak English?', userId: 'visitor' },
  ]),
  { locale: 'ar', dir: 'ltr' },
);

/** Spanish, Portuguese, Italian and Dutch: the same conversation, the widget's texts in each. */
export const Spanish = chatStory(conversation([{ text: '¡Hola! 👋 ¿En qué podemos ayudarte?', userId: 'agent' }]), { locale: 'es' });
export const Portuguese = chatStory(conversation([{ text: 'Olá! 👋 Como podemos ajudar?', userId: 'agent' }]), { locale: 'pt' });
export const Italian = chatStory(conversation([{ text: 'Ciao! 👋 Come possiamo aiutarti?', userId: 'agent' }]), { locale: 'it' });
export const Dutch = chatStory(conversation([{ text: 'Hallo! 👋 Waarmee kunnen we helpen?', userId: 'agent' }]), { locale: 'nl' });

/**
 * The site's own texts with `strings` (over the locale's, here English): the title, the send button,
 * the empty log, and the typing line and unread count as functions.
 */
export const CustomStrings: ChatStory = {
  render: (a) => {
    const page = mountChat(a, {
      transport: { names },
      run: async (c) => {
        await c.openAndLoad();
        c.server.agentTyping();
      },
    });
    page.querySelector('porthole-chat')!.strings = {
      title: 'Ask Northwind',
      send: 'Go',
      empty: 'Ask us anything about your order.',
      typingName: (name) => `${name} is writing back…`,
      unread: (n) => `${n} new`,
    };
    return page;
  },
};
