import type { Strings } from './en.js';

// Right to left: the panel sets dir="rtl" (see `direction` in ./index.ts). Addressed in the plural and
// with nouns of action, as Hebrew interfaces do, so no text assumes the visitor's gender.
export const he: Strings = {
  title: 'דברו איתנו',
  close: 'סגירת הצ׳אט',
  input: 'הודעה',
  placeholder: 'כתבו הודעה…',
  send: 'שליחה',
  loadOlder: 'טעינת הודעות קודמות',
  typing: 'מישהו מקליד…',
  sending: 'בשליחה…',
  failed: 'לא נשלחה.',
  retryMessage: 'ניסיון חוזר',
  you: 'אני',
  team: 'תמיכה',
  edited: '(נערכה)',
  empty: 'שלחו לנו הודעה ונענה כאן.',
  reconnecting: 'מתחברים מחדש…',
  fallback: 'לא ניתן להתחבר לצ׳אט כרגע. ההודעות שלכם נשמרות ויישלחו ברגע שהחיבור יחזור.',
  retry: 'לנסות שוב',
  // Connection states (connection helper)
  retrying: 'מנסים שוב…',
  retryFailed: 'עדיין אין חיבור. אנחנו ממשיכים לנסות ברקע.',
  contact: 'יצירת קשר בדרך אחרת',
  loading: 'השיחה נטענת…',
  refused: 'לא הצלחנו לאמת את זהותכם, ולכן הצ׳אט לא יכול להיפתח. נא להתחבר מחדש או לרענן את הדף.',
  menu: 'אפשרויות השיחה',
  // Files (files-widget)
  attach: 'צירוף קבצים',
  // Accessibility
  log: 'הודעות',
  // Messages that cannot go
  tooLong: 'לא נשלחה: ארוכה מדי.',
  editMessage: 'עריכה',
  removeMessage: 'הסרה',
  charsLeft: (n: number) => (n === 1 ? 'נותר תו אחד' : `נותרו ${n} תווים`),
  charsOver: (n: number) => (n === 1 ? 'תו אחד מעבר למגבלה' : `${n} תווים מעבר למגבלה`),
  unread: (n: number) => (n === 1 ? 'הודעה אחת שלא נקראה' : `${n} הודעות שלא נקראו`),
  // Notifications and the launcher's state
  open: 'פתיחת הצ׳אט',
  newMessages: 'הודעות חדשות',
  newMessage: 'הודעה חדשה',
  dismiss: 'הסתרה',
  // Agents and availability
  typingName: (name: string) => `${name} מקליד/ה…`,
  today: 'היום',
  yesterday: 'אתמול',
  availability: {
    online: 'אנחנו זמינים',
    away: 'נחזור בעוד רגע',
    offline: 'אין אף אחד זמין כרגע',
    closed: 'אנחנו סגורים כרגע',
    unreachable: 'לא ניתן להתחבר לשירות הצ׳אט',
  },
  // When nobody is there (offline)
  queued: 'נשמרה — נענה כאן.',
  offlineNotice: 'הצ׳אט של הצוות לא זמין כרגע. אפשר עדיין לכתוב: ההודעות שלכם נשמרות ונענה כאן.',
};
