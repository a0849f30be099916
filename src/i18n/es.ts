import type { Strings } from './en.js';

export const es: Strings = {
  title: 'Chatea con nosotros',
  close: 'Cerrar el chat',
  input: 'Mensaje',
  placeholder: 'Escribe un mensaje…',
  send: 'Enviar',
  loadOlder: 'Cargar mensajes anteriores',
  typing: 'Alguien está escribiendo…',
  sending: 'Enviando…',
  failed: 'No enviado.',
  retryMessage: 'Reintentar',
  you: 'Tú',
  team: 'Soporte',
  edited: '(editado)',
  empty: 'Escríbenos y te responderemos aquí.',
  reconnecting: 'Reconectando…',
  fallback: 'No podemos conectar con el chat ahora mismo. Tus mensajes se guardan y se enviarán en cuanto vuelva.',
  retry: 'Intentar de nuevo',
  // Connection states (connection helper)
  retrying: 'Intentándolo de nuevo…',
  retryFailed: 'Sigue sin haber conexión. Seguimos intentándolo en segundo plano.',
  contact: 'Contáctanos de otra forma',
  loading: 'Cargando la conversación…',
  refused: 'No pudimos confirmar quién eres, así que el chat no puede abrirse. Vuelve a iniciar sesión o recarga la página.',
  menu: 'Opciones de la conversación',
  // Files (files-widget)
  attach: 'Adjuntar archivos',
  // Accessibility
  log: 'Mensajes',
  // Messages that cannot go
  tooLong: 'No enviado: demasiado largo.',
  editMessage: 'Editar',
  removeMessage: 'Quitar',
  charsLeft: (n: number) => (n === 1 ? 'Queda 1 carácter' : `Quedan ${n} caracteres`),
  charsOver: (n: number) => (n === 1 ? '1 carácter de más' : `${n} caracteres de más`),
  unread: (n: number) => (n === 1 ? '1 mensaje sin leer' : `${n} mensajes sin leer`),
  // Notifications and the launcher's state
  open: 'Abrir el chat',
  newMessages: 'Mensajes nuevos',
  newMessage: 'Mensaje nuevo',
  dismiss: 'Ocultar',
  // Agents and availability
  typingName: (name: string) => `${name} está escribiendo…`,
  today: 'Hoy',
  yesterday: 'Ayer',
  availability: {
    online: 'Estamos en línea',
    away: 'Volvemos enseguida',
    offline: 'Ahora no hay nadie en línea',
    closed: 'Ahora estamos cerrados',
    unreachable: 'No se puede acceder al servicio de chat',
  },
  // When nobody is there (offline)
  queued: 'Guardado: te responderemos aquí.',
  offlineNotice:
    'El chat del equipo no está disponible ahora mismo. Aun así puedes escribir: tus mensajes se guardan y te responderemos aquí.',
};
