import type { Strings } from './en.js';

// Right to left: the panel sets dir="rtl" (see `direction` in ./index.ts). Counts avoid Arabic's
// number agreement with a "label: n" form.
export const ar: Strings = {
  title: 'تحدّث معنا',
  close: 'إغلاق المحادثة',
  input: 'رسالة',
  placeholder: 'اكتب رسالة…',
  send: 'إرسال',
  loadOlder: 'تحميل الرسائل الأقدم',
  typing: 'شخص ما يكتب…',
  sending: 'جارٍ الإرسال…',
  failed: 'لم تُرسَل.',
  retryMessage: 'إعادة المحاولة',
  you: 'أنت',
  team: 'الدعم',
  edited: '(معدّلة)',
  empty: 'أرسل لنا رسالة وسنجيبك هنا.',
  reconnecting: 'جارٍ إعادة الاتصال…',
  fallback: 'يتعذّر الوصول إلى المحادثة الآن. رسائلك محفوظة وستُرسَل فور عودتها.',
  retry: 'حاول مجددًا',
  // Connection states (connection helper)
  retrying: 'جارٍ المحاولة مجددًا…',
  retryFailed: 'لا يوجد اتصال بعد. نواصل المحاولة في الخلفية.',
  contact: 'تواصل معنا بطريقة أخرى',
  loading: 'جارٍ تحميل المحادثة…',
  refused: 'تعذّر علينا التحقق من هويتك، لذا لا يمكن فتح المحادثة. يُرجى تسجيل الدخول مجددًا أو إعادة تحميل الصفحة.',
  menu: 'خيارات المحادثة',
  // Files (files-widget)
  attach: 'إرفاق ملفات',
  // Accessibility
  log: 'الرسائل',
  // Messages that cannot go
  tooLong: 'لم تُرسَل: طويلة جدًا.',
  editMessage: 'تعديل',
  removeMessage: 'إزالة',
  charsLeft: (n: number) => `الأحرف المتبقية: ${n}`,
  charsOver: (n: number) => `الأحرف الزائدة: ${n}`,
  unread: (n: number) => (n === 1 ? 'رسالة واحدة غير مقروءة' : `رسائل غير مقروءة: ${n}`),
  // Notifications and the launcher's state
  open: 'فتح المحادثة',
  newMessages: 'رسائل جديدة',
  newMessage: 'رسالة جديدة',
  dismiss: 'إخفاء',
  // Agents and availability
  typingName: (name: string) => `${name} يكتب…`,
  today: 'اليوم',
  yesterday: 'أمس',
  availability: {
    online: 'نحن متصلون الآن',
    away: 'سنعود بعد قليل',
    offline: 'لا أحد متصل الآن',
    closed: 'نحن مغلقون الآن',
    unreachable: 'لا يمكن الوصول إلى خدمة المحادثة',
  },
  // When nobody is there (offline)
  queued: 'حُفظت — سنجيبك هنا.',
  offlineNotice: 'محادثة الفريق غير متاحة الآن. ما زال بإمكانك الكتابة: رسائلك تُحفظ وسنجيبك هنا.',
};
